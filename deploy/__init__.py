"""Deployment files (systemd units, the nginx site, backup and restore) and the code that renders
them for a topology other than the shipped placeholders'."""
