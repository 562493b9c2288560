"""STAND-IN (helper B): readings as read, ingested in bulk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from backend.energy.models import CommState, Meter, Reading, ReadingSource


@dataclass(frozen=True)
class ReadingIn:
    meter_id: int
    slot_at: datetime
    read_at: datetime
    raw_milli: int
    source: ReadingSource = ReadingSource.COLLECTOR


async def ingest(rows: Sequence[ReadingIn]) -> int:
    """STAND-IN: inserts rows (one per meter and slot), returns how many were new, and moves each
    meter's last reading to its newest."""
    if not rows:
        return 0
    meter_ids = sorted({r.meter_id for r in rows})
    first, last = min(r.slot_at for r in rows), max(r.slot_at for r in rows)
    stored = Reading.filter(meter_id__in=meter_ids, slot_at__gte=first, slot_at__lte=last)
    before = await stored.count()
    await Reading.bulk_create(
        [
            Reading(meter_id=r.meter_id, slot_at=r.slot_at, read_at=r.read_at, raw_milli=r.raw_milli, source=r.source)
            for r in rows
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    newest: dict[int, ReadingIn] = {}
    for r in rows:
        if r.meter_id not in newest or r.slot_at > newest[r.meter_id].slot_at:
            newest[r.meter_id] = r
    for meter_id, r in newest.items():
        await Meter.filter(id=meter_id).update(
            last_read_at=r.read_at, last_raw_milli=r.raw_milli, comm_state=CommState.ONLINE
        )
    return await stored.count() - before
