"""Console pages of the accounts module."""
