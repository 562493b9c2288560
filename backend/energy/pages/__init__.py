"""Console pages of energy."""
