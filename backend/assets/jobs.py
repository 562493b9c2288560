"""Scheduled jobs of the assets module: reminders to the borrowers of 公物仓 loans, a few days
before the return date (ASSETS_LOAN_REMIND_DAYS) and the day after it has passed, each once
however often the job runs (the notices themselves are sent by the notices module's job)."""

from __future__ import annotations

from backend.assets.service import warehouse
from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.redis import make_redis
from backend.core.timeutil import now
from backend.modules import settings_of


@broker.task(task_name="assets.remind_loans", schedule=[{"cron": "0 9 * * *", "cron_offset": "Asia/Shanghai"}])
async def remind_loans() -> int:
    """Daily at nine: the loans due in ASSETS_LOAN_REMIND_DAYS days and those due yesterday."""
    settings: Settings = broker.state.settings
    redis = make_redis(settings.redis_url)
    try:
        return await warehouse.remind_loans(redis, now(), settings_of(settings, "assets").loan_remind_days)
    finally:
        await redis.aclose()
