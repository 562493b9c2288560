"""STAND-IN (helper B): reading the rollups."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from tortoise.functions import Sum

from backend.core.timeutil import day_start
from backend.energy.models import Grain, Rollup


def _within(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime):
    return Rollup.filter(meter_id__in=list(meter_ids), grain=grain, period_start__gte=start, period_start__lt=end)


async def use_by_meter(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime) -> dict[int, int]:
    rows = (
        await _within(meter_ids, grain, start, end)
        .annotate(total=Sum("amount_milli"))
        .group_by("meter_id")
        .values_list("meter_id", "total")
    )
    return {meter_id: int(total or 0) for meter_id, total in rows}


async def series(meter_ids: Iterable[int], grain: Grain, start: datetime, end: datetime) -> dict[datetime, int]:
    rows = (
        await _within(meter_ids, grain, start, end)
        .annotate(total=Sum("amount_milli"))
        .group_by("period_start")
        .values_list("period_start", "total")
    )
    return {at: int(total or 0) for at, total in rows}


async def month_use(meter_ids: Iterable[int], month: date) -> dict[int, int]:
    start = day_start(month)
    return {
        meter_id: amount
        for meter_id, amount in await Rollup.filter(
            meter_id__in=list(meter_ids), grain=Grain.MONTH, period_start=start
        ).values_list("meter_id", "amount_milli")
    }
