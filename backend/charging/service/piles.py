# H2 TEMPORARY STAND-IN
"""Stand-in for H1/H3's piles module (PileRef only) so H2's code imports; dropped at merge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PileRef:
    id: int
    box_id: str
    site_id: int
    name: str
    connectors: int
    max_power_w: int
