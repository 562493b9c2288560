"""Scheduled jobs of the official-cars module: cars still out that run into their next trip, the
daily compliance checks (督查) and sealing the statutory holidays from the calendar. Each has
the effect of once however often it runs: flags are deduplicated by key, and a holiday
already sealed is left as it is."""

from __future__ import annotations

from datetime import timedelta

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.jobs import broker
from backend.core.timeutil import now, today
from backend.fleet.errors import FleetError
from backend.fleet.service import compliance, dispatch, sealing

SCHEDULER = Actor(admin_id=None, name="定时任务")


@broker.task(task_name="fleet.flag_running_late", schedule=[{"cron": "*/5 * * * *"}])
async def flag_running_late() -> int:
    """Every five minutes: a car still out past its planned end and buffer, where that runs into
    its (or its driver's) next trip, is flagged to the dispatcher at once, not at tomorrow's check."""
    return await dispatch.flag_running_late(now())


@broker.task(task_name="fleet.daily_checks", schedule=[{"cron": "20 1 * * *", "cron_offset": "Asia/Shanghai"}])
async def daily_checks() -> dict[str, int]:
    """Nightly: the checks over yesterday (complete by now), and over today so far so that a car
    still out or moving tonight is seen by morning."""
    at = now()
    raised = await compliance.run_daily_checks(today() - timedelta(days=1), at)
    for kind, count in (await compliance.run_daily_checks(today(), at)).items():
        raised[kind] += count
    return raised


@broker.task(task_name="fleet.seal_holidays", schedule=[{"cron": "40 2 * * 1", "cron_offset": "Asia/Shanghai"}])
async def seal_holidays() -> int:
    """Weekly: seal this year's and next year's statutory holidays once the calendar knows them
    (next year's arrangement is published late in the year)."""
    created = 0
    for year in (today().year, today().year + 1):
        try:
            created += len((await sealing.from_calendar(SCHEDULER, year))["created"])
        except AppError as refusal:
            if refusal.code != FleetError.SEAL_CALENDAR_UNKNOWN.code:
                raise
    return created
