"""STAND-IN (helper B): readings folded into hour, day and month rollups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import Grain, Meter, Reading, ReadingStatus, Rollup


@dataclass(frozen=True)
class DeriveReport:
    meters: int
    readings: int


def _starts(moment: datetime) -> dict[Grain, datetime]:
    local = moment.astimezone(BUSINESS_TZ)
    hour = local.replace(minute=0, second=0, microsecond=0)
    day = hour.replace(hour=0)
    return {Grain.HOUR: hour, Grain.DAY: day, Grain.MONTH: day.replace(day=1)}


async def derive(meter_ids: Iterable[int] | None, settings: EnergySettings) -> DeriveReport:
    """STAND-IN: differences of consecutive valid readings after the watermark, times the
    multiplier, into the rollups of the earlier reading's periods (no gap or spike rules)."""
    ids = (
        list(meter_ids)
        if meter_ids is not None
        else list(await Meter.filter(is_active=True).values_list("id", flat=True))
    )
    folded = 0
    for meter_id in sorted(ids):
        async with in_transaction() as conn:
            meter = await Meter.filter(id=meter_id).using_db(conn).select_for_update().first()
            if meter is None:
                continue
            readings = Reading.filter(meter_id=meter_id, status__in=[ReadingStatus.VALID, ReadingStatus.ACCEPTED])
            if meter.derived_until is not None:
                readings = readings.filter(slot_at__gt=meter.derived_until)
            found = await readings.using_db(conn).order_by("slot_at").values_list("slot_at", "raw_milli")
            if not found:
                continue
            sums: dict[tuple[Grain, datetime], int] = defaultdict(int)
            previous_at, previous = meter.derived_until, meter.derived_raw_milli
            for slot_at, raw in found:
                if previous is not None and previous_at is not None and raw >= previous:
                    for grain, start in _starts(previous_at).items():
                        sums[grain, start] += (raw - previous) * meter.multiplier
                previous_at, previous = slot_at, raw
            existing = {
                (Grain(r.grain), r.period_start.astimezone(BUSINESS_TZ)): r
                for r in await Rollup.filter(meter_id=meter_id, period_start__in=sorted({s for _, s in sums})).using_db(
                    conn
                )
            }
            fresh = []
            for key, amount in sums.items():
                if key in existing:
                    existing[key].amount_milli += amount
                    await existing[key].save(using_db=conn, update_fields=["amount_milli"])
                else:
                    fresh.append(Rollup(meter_id=meter_id, grain=key[0], period_start=key[1], amount_milli=amount))
            await Rollup.bulk_create(fresh, using_db=conn)
            await Meter.filter(id=meter_id).using_db(conn).update(derived_until=previous_at, derived_raw_milli=previous)
            folded += len(found)
    return DeriveReport(len(ids), folded)
