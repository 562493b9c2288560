"""Scheduled jobs of the accounts module."""

from __future__ import annotations

from backend.accounts.service import devices
from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now


@broker.task(task_name="accounts.mark_offline_devices", schedule=[{"cron": "* * * * *"}])
async def mark_offline_devices() -> int:
    """Each minute: devices whose heartbeats stopped are marked offline (idempotent)."""
    settings: Settings = broker.state.settings
    return await devices.mark_offline(now(), settings.device_offline_after)
