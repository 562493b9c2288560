"""Console pages of the produce shop."""
