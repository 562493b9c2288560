"""Scheduled jobs of EV charging. Each has the effect of once however often it runs: billing,
expiring, timing out and flagging are conditional writes."""

from __future__ import annotations

from backend.charging.service import billing, closing, commands, starts
from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.modules import settings_of


@broker.task(task_name="charging.bill_stopped", schedule=[{"cron": "* * * * *"}])
async def bill_stopped() -> int:
    """Every minute: stopped sessions left without their bill (the database failed right after
    the stop) are billed, each once."""
    return await billing.bill_stopped(now())


@broker.task(task_name="charging.expire_starts", schedule=[{"cron": "* * * * *"}])
async def expire_starts() -> int:
    """Every minute: mini-program starts the pile never used within CHARGING_START_TOKEN_MINUTES
    expire, and their tokens can start nothing (each once: a conditional update)."""
    settings: Settings = broker.state.settings
    return await starts.expire(now(), settings_of(settings, "charging"))


@broker.task(task_name="charging.time_out_commands", schedule=[{"cron": "* * * * *"}])
async def time_out_commands() -> int:
    """Every minute: commands still waiting for an answer well past their time-out (the worker
    that sent them died, or Redis failed under it) are marked timed out, each once."""
    settings: Settings = broker.state.settings
    return await commands.time_out_stale(now(), settings_of(settings, "charging"))


@broker.task(task_name="charging.record_stale_sessions", schedule=[{"cron": "*/10 * * * *"}])
async def record_stale_sessions() -> int:
    """Every ten minutes: ACTIVE sessions their pile has said nothing about for
    closing.STALE_HOURS get one STALE_SESSION incident each, for staff to 结束并结算."""
    return await closing.record_stale(now())
