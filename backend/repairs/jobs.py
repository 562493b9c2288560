"""Scheduled jobs of the repairs module: late reports, unconfirmed repairs, reporters' notices.
Each has the effect of once however often it runs."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.storage import storage_from_settings
from backend.core.timeutil import now
from backend.repairs.service import notices, uploads
from backend.repairs.service import reports as service
from backend.runtime import make_mini_program


@broker.task(task_name="repairs.mark_overdue", schedule=[{"cron": "*/5 * * * *"}])
async def mark_overdue() -> int:
    """Every five minutes: reports past their time limit are marked late once, on the timeline;
    their teams' dispatchers see them on the dispatch board and the dashboard."""
    return len(await service.mark_overdue(now()))


@broker.task(task_name="repairs.auto_close", schedule=[{"cron": "17 * * * *"}])
async def auto_close() -> int:
    """Hourly: repairs the reporter never confirmed are closed after REPAIRS_AUTO_CLOSE_DAYS."""
    settings: Settings = broker.state.settings
    return await service.auto_close(now(), settings.repairs_auto_close_days)


@broker.task(task_name="repairs.send_notices", schedule=[{"cron": "* * * * *"}])
async def send_notices() -> dict:
    """Each minute: reporters' WeChat notices that are due (retried with a growing pause)."""
    settings: Settings = broker.state.settings
    wechat = make_mini_program(settings)
    try:
        return await notices.send_due(wechat, settings.wechat_repair_template_id, now())
    finally:
        wechat.close()


@broker.task(task_name="repairs.purge_unattached_photos", schedule=[{"cron": "40 3 * * *"}])
async def purge_unattached_photos() -> int:
    """Nightly: photos uploaded for reports that were never filed are deleted."""
    storage = storage_from_settings(broker.state.settings)
    try:
        return await uploads.purge_unattached(storage, now())
    finally:
        await storage.close()
