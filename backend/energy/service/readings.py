"""STAND-IN for helper B's readings (dropped at merge): the design's signatures, minimal bodies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from backend.energy.models import CommState, Meter, Reading, ReadingSource


@dataclass(frozen=True)
class ReadingIn:
    meter_id: int
    slot_at: datetime
    read_at: datetime
    raw_milli: int
    source: ReadingSource = ReadingSource.COLLECTOR


async def ingest(rows: Sequence[ReadingIn]) -> int:
    inserted = 0
    async with in_transaction() as conn:
        for row in rows:
            _, created = await Reading.get_or_create(
                meter_id=row.meter_id,
                slot_at=row.slot_at,
                defaults={"read_at": row.read_at, "raw_milli": row.raw_milli, "source": row.source},
                using_db=conn,
            )
            if created:
                inserted += 1
                await (
                    Meter.filter(id=row.meter_id)
                    .using_db(conn)
                    .update(last_read_at=row.read_at, last_raw_milli=row.raw_milli, comm_state=CommState.ONLINE)
                )
    return inserted


async def purge_raw(now: datetime, settings) -> int:
    return await Reading.filter(read_at__lt=now - timedelta(days=settings.raw_retention_days)).delete()
