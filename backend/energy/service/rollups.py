"""Reading the rollups (用量汇总): meters' use by hour, day or month, after the multiplier, so
budgets, indicators and reports never scan raw readings. Periods start at Beijing local time;
a month is given as its first day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from tortoise.functions import Sum

from backend.core.timeutil import BUSINESS_TZ, day_start
from backend.energy.models import Grain, Rollup
from backend.energy.service.derive import moment


def _bounds(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    # Stored in business time; SQLite compares the text, so the bounds are written the same way.
    return start.astimezone(BUSINESS_TZ), end.astimezone(BUSINESS_TZ)


def period_of(at: datetime, grain: Grain) -> datetime:
    """The start of the hour, day or month `at` falls in."""
    local = at.astimezone(BUSINESS_TZ)
    if grain == Grain.HOUR:
        return local.replace(minute=0, second=0, microsecond=0)
    if grain == Grain.DAY:
        return day_start(local.date())
    return day_start(local.date().replace(day=1))


def next_period(start: datetime, grain: Grain) -> datetime:
    if grain == Grain.HOUR:
        return (start + timedelta(hours=1)).astimezone(BUSINESS_TZ)
    if grain == Grain.DAY:
        return day_start(start.date() + timedelta(days=1))
    first = start.date()
    return day_start(date(first.year + first.month // 12, first.month % 12 + 1, 1))


async def _sum_by_meter(
    column: str, meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime
) -> dict[int, int]:
    ids = sorted(set(meter_ids))
    if not ids:
        return {}
    low, high = _bounds(start, end)
    found = (
        await Rollup.filter(meter_id__in=ids, grain=grain, period_start__gte=low, period_start__lt=high)
        .group_by("meter_id")
        .annotate(total=Sum(column))
        .values_list("meter_id", "total")
    )
    sums = dict.fromkeys(ids, 0)
    sums.update({meter_id: int(total or 0) for meter_id, total in found})
    return sums


async def use_by_meter(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime) -> dict[int, int]:
    """Each meter's use over the periods of `grain` starting in [start, end) (0 for a meter with
    none)."""
    return await _sum_by_meter("amount_milli", meter_ids, grain, start, end)


async def series(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime) -> dict[datetime, int]:
    """The meters' summed use in each period of `grain` from the one `start` falls in up to
    `end`, in order, every period present (0 where nothing was used or read)."""
    ids = sorted(set(meter_ids))
    first, high = period_of(start, grain), end.astimezone(BUSINESS_TZ)
    periods: dict[datetime, int] = {}
    current = first
    while current < high:
        periods[current] = 0
        current = next_period(current, grain)
    if not ids or not periods:
        return periods
    found = (
        await Rollup.filter(meter_id__in=ids, grain=grain, period_start__gte=first, period_start__lt=high)
        .group_by("period_start")
        .annotate(total=Sum("amount_milli"))
        .values_list("period_start", "total")
    )
    for period_start, total in found:
        periods[moment(period_start)] = periods.get(moment(period_start), 0) + int(total or 0)
    return periods


async def month_use(meter_ids: Iterable[int], month: date) -> dict[int, int]:
    """Each meter's use in `month` (any day of it), from the MONTH rollups."""
    start = day_start(month.replace(day=1))
    return await use_by_meter(meter_ids, Grain.MONTH, start, next_period(start, Grain.MONTH))


async def estimated_by_meter(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime) -> dict[int, int]:
    """The part of each meter's use over [start, end) spread over gaps in its readings
    (estimated), for reports that say how much of a figure is measured."""
    return await _sum_by_meter("estimated_milli", meter_ids, grain, start, end)
