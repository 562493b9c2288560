"""Console pages of gates and visitors."""
