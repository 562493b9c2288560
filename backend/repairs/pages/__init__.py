"""The repairs console pages: the dispatch board, setup, and statistics."""
