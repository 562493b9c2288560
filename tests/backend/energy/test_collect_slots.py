"""Two collectors in one slot (the worker's job and `houqin collect`, or a run restarted) count a
meter's failure once: failures in a row are slots without an answer, and the silence alert waits
for that many slots. The collector stores its readings with its own settings."""

from __future__ import annotations

import asyncio
from datetime import datetime

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import Alert, AlertKind, CommState, Meter
from backend.energy.service import readings
from backend.energy.service.collect import collect_once

SETTINGS = EnergySettings(poll_timeout_seconds=1, silent_alert_polls=2)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=BUSINESS_TZ)


async def silence_czj(world, board) -> int:
    await Meter.filter(id=world.czj_power.id).update(endpoint=board.silent_endpoint)
    return world.czj_power.id


async def test_collectors_meeting_in_a_slot_count_a_failure_once(energy_world, meter_board, runtime):
    czj = await silence_czj(energy_world, meter_board)

    await asyncio.gather(*(collect_once(at(9, 0), SETTINGS, runtime.cipher) for _ in range(2)))
    await collect_once(at(9, 7), SETTINGS, runtime.cipher)  # a third run, later in the slot

    meter = await Meter.get(id=czj)
    assert (meter.comm_state, meter.comm_failures) == (CommState.NO_ANSWER, 1)
    assert meter.comm_error.startswith("2026-03-02 09:00 ") and "秒内无应答" in meter.comm_error
    assert not await Alert.filter(kind=AlertKind.METER_SILENT).exists()

    await asyncio.gather(*(collect_once(at(9, 15), SETTINGS, runtime.cipher) for _ in range(2)))
    meter = await Meter.get(id=czj)
    assert meter.comm_failures == 2
    (silent,) = await Alert.filter(kind=AlertKind.METER_SILENT).values_list("message", flat=True)
    assert "已连续 2 次采集未得到读数" in silent


async def test_a_meter_answering_again_starts_counting_afresh(energy_world, meter_board, runtime):
    czj = await silence_czj(energy_world, meter_board)
    await collect_once(at(9, 0), SETTINGS, runtime.cipher)
    endpoint = await Meter.filter(id=energy_world.fgw_power.id).values_list("endpoint", flat=True)
    await Meter.filter(id=czj).update(endpoint=endpoint[0])
    await collect_once(at(9, 15), SETTINGS, runtime.cipher)
    meter = await Meter.get(id=czj)
    assert (meter.comm_state, meter.comm_failures, meter.comm_error) == (CommState.ONLINE, 0, "")


async def test_the_collector_stores_its_readings_with_its_settings(energy_world, meter_board, runtime, monkeypatch):
    given = []
    real_ingest = readings.ingest

    async def ingest(rows, *, settings=None):
        given.append(settings)
        return await real_ingest(rows, settings=settings)

    monkeypatch.setattr(readings, "ingest", ingest)
    await collect_once(at(9, 0), SETTINGS, runtime.cipher)
    assert given == [SETTINGS]
