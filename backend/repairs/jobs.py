"""Scheduled jobs of the repairs module: late reports, unconfirmed repairs, photos never filed
(reporters' notices are sent by the notices module's job). Each has the effect of once however
often it runs."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.storage import storage_from_settings
from backend.core.timeutil import now
from backend.modules import settings_of
from backend.repairs.service import reports as service
from backend.repairs.service import uploads


@broker.task(task_name="repairs.mark_overdue", schedule=[{"cron": "*/5 * * * *"}])
async def mark_overdue() -> int:
    """Every five minutes: reports past their time limit are marked late once, on the timeline;
    their teams' dispatchers see them on the dispatch board and the dashboard."""
    return len(await service.mark_overdue(now()))


@broker.task(task_name="repairs.auto_close", schedule=[{"cron": "17 * * * *"}])
async def auto_close() -> int:
    """Hourly: repairs the reporter never confirmed are closed after REPAIRS_AUTO_CLOSE_DAYS."""
    settings: Settings = broker.state.settings
    return await service.auto_close(now(), settings_of(settings, "repairs").auto_close_days)


@broker.task(task_name="repairs.purge_unattached_photos", schedule=[{"cron": "40 3 * * *"}])
async def purge_unattached_photos() -> int:
    """Nightly: photos uploaded for reports that were never filed are deleted."""
    storage = storage_from_settings(broker.state.settings)
    try:
        return await uploads.purge_unattached(storage, now())
    finally:
        await storage.close()
