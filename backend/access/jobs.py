"""Scheduled jobs of gates and visitors. Each has the effect of once however often it runs: every
change is a conditional write on the visit's state (or on the moment it was alerted or purged)."""

from __future__ import annotations

from backend.access.service import visits
from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.modules import settings_of


@broker.task(task_name="access.mark_no_shows", schedule=[{"cron": "*/10 * * * *"}])
async def mark_no_shows() -> int:
    """Every ten minutes: visits whose window is over with nobody entered become 未到访, their
    passes revoked."""
    return await visits.mark_no_shows(now())


@broker.task(task_name="access.sign_out_day_end", schedule=[{"cron": "*/5 * * * *"}])
async def sign_out_day_end() -> int:
    """Every five minutes (so the ACCESS_DAY_END setting needs no schedule of its own): visitors
    whose latest entry came before the last day end and who are still inside are signed out
    (passes revoked) and listed for the guard; then every presence row entered before the day end
    is cleared, visitors', staff's and cars' alike, whatever the visit's state: an exit nobody
    scanned must not lock a member of staff out by anti-passback the next morning nor leave
    anyone on the evacuation list."""
    settings: Settings = broker.state.settings
    return await visits.sign_out_day_end(settings_of(settings, "access"), now())


@broker.task(task_name="access.alert_overstays", schedule=[{"cron": "*/5 * * * *"}])
async def alert_overstays() -> int:
    """Every five minutes: the host of a visitor inside past the window is told, once."""
    return await visits.alert_overstays(now())


@broker.task(task_name="access.purge_expired", schedule=[{"cron": "30 3 * * *"}])
async def purge_expired() -> int:
    """Nightly: visitors' personal data is erased ACCESS_RETENTION_DAYS after the visit ended;
    older plate alerts are deleted and older events lose their plate index (not the masked plate)."""
    settings: Settings = broker.state.settings
    return await visits.purge_expired(settings_of(settings, "access"), now())
