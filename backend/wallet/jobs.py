"""Scheduled jobs of the wallet module."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.runtime import make_wechatpay
from backend.wallet.service import subsidy, topup


@broker.task(task_name="wallet.query_pending_topups", schedule=[{"cron": "*/5 * * * *"}])
async def query_pending_topups() -> dict:
    """Every five minutes: top-ups whose notification never came are asked about (idempotent)."""
    settings: Settings = broker.state.settings
    return await topup.query_pending(make_wechatpay(settings), now())


@broker.task(
    task_name="wallet.monthly_subsidy",
    schedule=[{"cron": "5 0 1 * *", "cron_offset": "Asia/Shanghai"}],
)
async def monthly_subsidy() -> dict:
    """00:05 on the 1st, Beijing time: clear last month's subsidy where the rule says so, then
    grant this month's (both exactly once per person, however often this runs)."""
    return await subsidy.run_monthly(now())
