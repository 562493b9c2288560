"""Business rules of energy: meters, readings and rollups, budgets, switching, indicators."""
