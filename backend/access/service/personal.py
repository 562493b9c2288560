"""Stand-in for V's personal-data helpers (V's file replaces it at merge)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def mask_plate(plate: str) -> str:
    return plate[:2] + "***" + plate[-2:] if len(plate) > 4 else plate
