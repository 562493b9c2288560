"""STAND-IN for helper B's derivation (dropped at merge): folds reading differences into hour,
day and month rollups past the meter's watermark, one transaction per meter."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.models import Grain, Meter, Reading, Rollup


@dataclass(frozen=True)
class DeriveReport:
    meters: int = 0
    readings: int = 0


def _starts(at: datetime) -> dict[Grain, datetime]:
    local = at.astimezone(BUSINESS_TZ)
    return {
        Grain.HOUR: local.replace(minute=0, second=0, microsecond=0),
        Grain.DAY: local.replace(hour=0, minute=0, second=0, microsecond=0),
        Grain.MONTH: local.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
    }


async def derive(meter_ids: Iterable[int] | None, settings) -> DeriveReport:
    ids = list(meter_ids) if meter_ids is not None else await Meter.all().values_list("id", flat=True)
    meters = readings = 0
    for meter_id in ids:
        async with in_transaction() as conn:
            meter = await Meter.filter(id=meter_id).using_db(conn).select_for_update().get()
            query = Reading.filter(meter_id=meter_id).using_db(conn).order_by("slot_at")
            if meter.derived_until is not None:
                query = query.filter(slot_at__gt=meter.derived_until)
            new = await query
            if not new:
                continue
            previous = meter.derived_raw_milli
            for reading in new:
                if previous is not None and reading.raw_milli >= previous:
                    use = (reading.raw_milli - previous) * meter.multiplier
                    for grain, start in _starts(reading.slot_at).items():
                        row, _ = await Rollup.get_or_create(
                            meter_id=meter_id, grain=grain, period_start=start, using_db=conn
                        )
                        await Rollup.filter(id=row.id).using_db(conn).update(amount_milli=F("amount_milli") + use)
                previous = reading.raw_milli
            await (
                Meter.filter(id=meter_id)
                .using_db(conn)
                .update(derived_until=new[-1].slot_at, derived_raw_milli=previous)
            )
            meters, readings = meters + 1, readings + len(new)
    return DeriveReport(meters, readings)
