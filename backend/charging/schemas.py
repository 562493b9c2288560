"""Request and response bodies of EV charging's console API and mini-program API (pydantic)."""

from __future__ import annotations
