"""Console pages of the wallet module."""
