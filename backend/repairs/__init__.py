"""Repairs (随手拍): cadres report faults by photo, teams fix them, reporters rate the work."""
