"""Collectors on PostgreSQL at once: a meter that does not answer is counted once per slot,
however many collectors (the worker's job, `houqin collect`) poll it in that slot."""

from __future__ import annotations

import asyncio
from datetime import datetime

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import Alert, AlertKind, Meter
from backend.energy.service.collect import collect_once

SETTINGS = EnergySettings(poll_timeout_seconds=1, silent_alert_polls=3)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=BUSINESS_TZ)


async def test_racing_collectors_count_a_silent_meter_once_per_slot(
    energy_world, meter_board, runtime, requires_postgres
):
    czj = energy_world.czj_power.id
    await Meter.filter(id=czj).update(endpoint=meter_board.silent_endpoint)
    for slot in (at(9, 0), at(9, 15)):
        await asyncio.gather(*(collect_once(slot, SETTINGS, runtime.cipher) for _ in range(4)))
    assert (await Meter.get(id=czj)).comm_failures == 2
    assert not await Alert.filter(kind=AlertKind.METER_SILENT).exists()
    await asyncio.gather(*(collect_once(at(9, 30), SETTINGS, runtime.cipher) for _ in range(4)))
    assert (await Meter.get(id=czj)).comm_failures == 3
    assert await Alert.filter(kind=AlertKind.METER_SILENT).count() == 1
