"""Business rules of gates and visitors, one file per subject."""
