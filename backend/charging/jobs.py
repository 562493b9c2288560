"""Scheduled jobs of EV charging."""

from __future__ import annotations
