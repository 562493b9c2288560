"""Console pages of the assets module."""
