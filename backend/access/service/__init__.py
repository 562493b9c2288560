"""Services of gates and visitors."""
