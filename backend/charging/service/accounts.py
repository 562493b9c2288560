"""The ledger accounts charging names: its revenue, and each unit's official cars' charging cost
(a unit's account goes down by what its cars drew; the revenue goes up by every payment)."""

from __future__ import annotations

REVENUE = "charging:revenue"


def fleet_cost(unit_id: int) -> str:
    return f"charging:unit:{unit_id}:fleet"
