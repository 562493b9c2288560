"""STAND-IN (helper readings writes the real file): sums of the meters' rollups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.models import Grain, Rollup


async def use_by_meter(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime) -> dict[int, int]:
    found: dict[int, int] = {}
    rows = await Rollup.filter(
        meter_id__in=list(meter_ids), grain=grain, period_start__gte=start, period_start__lt=end
    ).values_list("meter_id", "amount_milli")
    for meter_id, amount in rows:
        found[meter_id] = found.get(meter_id, 0) + amount
    return found


async def series(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime) -> dict[datetime, int]:
    found: dict[datetime, int] = {}
    rows = await Rollup.filter(
        meter_id__in=list(meter_ids), grain=grain, period_start__gte=start, period_start__lt=end
    ).values_list("period_start", "amount_milli")
    for at, amount in rows:
        at = at.astimezone(BUSINESS_TZ)
        found[at] = found.get(at, 0) + amount
    return dict(sorted(found.items()))


async def month_use(meter_ids: Iterable[int], month: date) -> dict[int, int]:
    start = datetime(month.year, month.month, 1, tzinfo=BUSINESS_TZ)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=BUSINESS_TZ)
    return await use_by_meter(meter_ids, Grain.MONTH, start, end)
