"""STAND-IN (helper readings writes the real file): readings folded into rollups."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import Grain, Meter, Reading, ReadingStatus, Rollup

COUNTED = (ReadingStatus.VALID, ReadingStatus.ACCEPTED)


@dataclass(frozen=True)
class DeriveReport:
    meters: int
    readings: int


def _starts(at: datetime) -> dict[Grain, datetime]:
    local = at.astimezone(BUSINESS_TZ)
    return {
        Grain.HOUR: local.replace(minute=0, second=0, microsecond=0),
        Grain.DAY: local.replace(hour=0, minute=0, second=0, microsecond=0),
        Grain.MONTH: local.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
    }


async def derive(meter_ids: Iterable[int] | None, settings: EnergySettings) -> DeriveReport:
    meters = await (Meter.all() if meter_ids is None else Meter.filter(id__in=list(meter_ids)))
    folded = 0
    for meter in meters:
        readings = await Reading.filter(meter_id=meter.id, status__in=COUNTED).order_by("slot_at")
        totals: dict[tuple[Grain, datetime], int] = {}
        for before, after in zip(readings, readings[1:], strict=False):
            use = max(0, after.raw_milli - before.raw_milli) * meter.multiplier
            for grain, start in _starts(after.slot_at).items():
                totals[(grain, start)] = totals.get((grain, start), 0) + use
        await Rollup.filter(meter_id=meter.id).delete()
        await Rollup.bulk_create(
            [Rollup(meter_id=meter.id, grain=g, period_start=s, amount_milli=a) for (g, s), a in totals.items()]
        )
        if readings:
            meter.derived_until, meter.derived_raw_milli = readings[-1].slot_at, readings[-1].raw_milli
            await meter.save(update_fields=["derived_until", "derived_raw_milli"])
        folded += len(readings)
    return DeriveReport(len(meters), folded)
