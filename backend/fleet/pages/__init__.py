"""The official-cars console pages."""
