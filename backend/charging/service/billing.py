# H4 TEMPORARY STAND-IN (H2 owns this file: the lead keeps H2's and drops this one)
"""Stand-in for H2's billing: what starts.py and the mini-program API call."""

from __future__ import annotations

from datetime import datetime

from backend.charging.models import Bill


async def arrears_of(person_id: int) -> int:
    owed = await Bill.filter(
        session__person_id=person_id, shortfall_fen__gt=0, shortfall_paid_at__isnull=True
    ).values_list("shortfall_fen", flat=True)
    return sum(owed)


async def pay_arrears(person_id: int, at: datetime) -> dict:
    raise NotImplementedError("H2 writes pay_arrears")
