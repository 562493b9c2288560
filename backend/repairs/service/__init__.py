"""The repairs services: reports and their workflow, catalog and time limits, parts, stats, Open311."""
