"""Console pages of the official-cars module."""
