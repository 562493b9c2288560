"""The collector against Modbus meters on pymodbus's own server: a slot is read once whatever
happens to the collector, a silent meter holds up nobody and is alerted once, garbage is recorded
on the meter and never stored."""

from __future__ import annotations

import asyncio
import math
import struct
import time
from datetime import UTC, datetime

import pytest

from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import (
    Alert,
    AlertKind,
    CommState,
    Grain,
    Meter,
    MeterKind,
    MeterModel,
    Protocol,
    Reading,
    Rollup,
    SupplyState,
)
from backend.energy.service import collect, derive
from backend.energy.service.collect import collect_once, slot_of

SETTINGS = EnergySettings(poll_timeout_seconds=1, silent_alert_polls=2)
COLLECTED = ("E-FGW-01", "E-CZJ-01", "E-FGW-SAFE", "E-PUB-01")  # the Modbus meters; W-FGW-01 is read by hand


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, tzinfo=BUSINESS_TZ)


async def month_use(meter: Meter) -> int:
    rows = await Rollup.filter(meter_id=meter.id, grain=Grain.MONTH).values_list("amount_milli", flat=True)
    return sum(rows)


def test_slots_start_on_the_poll_interval_from_beijing_midnight():
    assert slot_of(datetime(2026, 3, 1, 16, 7, 30, tzinfo=UTC), 15) == datetime(2026, 3, 2, 0, 0, tzinfo=BUSINESS_TZ)
    assert slot_of(at(9, 59), 20) == at(9, 40)
    assert slot_of(at(9, 45), 15) == at(9, 45)
    assert slot_of(at(23, 59), 60) == at(23, 0)


async def test_a_slot_is_read_once_however_often_the_collector_runs(energy_world, meter_board, runtime):
    meter_board.counts[1] = 100_000  # 1000.00 kWh
    first = await collect_once(at(10, 0), SETTINGS, runtime.cipher)
    assert (first.due, first.stored, first.silent, first.garbage) == (4, 4, 0, 0)
    assert sorted(await Reading.all().values_list("meter__code", flat=True)) == sorted(COLLECTED)

    again = await collect_once(at(10, 7), SETTINGS, runtime.cipher)
    assert (again.due, again.stored) == (0, 0)
    assert meter_board.reads[1] == 1
    assert await Reading.filter(meter_id=energy_world.fgw_power.id).count() == 1

    meter_board.counts[1] = 100_250  # +2.50 kWh
    await collect_once(at(10, 15), SETTINGS, runtime.cipher)
    await collect_once(at(10, 29), SETTINGS, runtime.cipher)
    assert await month_use(energy_world.fgw_power) == 2_500
    reading = await Reading.get(meter_id=energy_world.fgw_power.id, slot_at=at(10, 15))
    assert reading.raw_milli == 1_002_500
    meter = await Meter.get(id=energy_world.fgw_power.id)
    assert (meter.comm_state, meter.last_raw_milli, meter.supply_state) == (
        CommState.ONLINE,
        1_002_500,
        SupplyState.ON,
    )


async def test_a_collector_stopped_between_storing_and_deriving_counts_nothing_twice(
    energy_world, meter_board, runtime, monkeypatch
):
    meter_board.counts[1] = 50_000
    await collect_once(at(8, 0), SETTINGS, runtime.cipher)
    meter_board.counts[1] = 50_400

    real_derive = derive.derive

    async def killed(meter_ids, settings):
        raise SystemExit("collector killed")

    monkeypatch.setattr(derive, "derive", killed)
    with pytest.raises(SystemExit):
        await collect_once(at(8, 15), SETTINGS, runtime.cipher)
    assert await Reading.filter(meter_id=energy_world.fgw_power.id).count() == 2
    assert await month_use(energy_world.fgw_power) == 0

    # given the collector restarted within the same slot
    monkeypatch.setattr(derive, "derive", real_derive)
    reads = meter_board.reads[1]
    restarted = await collect_once(at(8, 20), SETTINGS, runtime.cipher)
    assert (restarted.due, restarted.stored, restarted.derived) == (0, 0, 4)
    assert meter_board.reads[1] == reads
    assert await month_use(energy_world.fgw_power) == 4_000

    meter_board.counts[1] = 50_500
    await collect_once(at(8, 30), SETTINGS, runtime.cipher)
    await collect_once(at(8, 31), SETTINGS, runtime.cipher)
    assert await month_use(energy_world.fgw_power) == 5_000
    assert await Reading.filter(meter_id=energy_world.fgw_power.id).count() == 3


async def test_a_silent_meter_holds_up_no_other_and_is_alerted_once(energy_world, meter_board, runtime):
    czj = energy_world.czj_power
    await Meter.filter(id=czj.id).update(endpoint=meter_board.silent_endpoint)

    started = time.monotonic()
    report = await collect_once(at(9, 0), SETTINGS, runtime.cipher)
    assert time.monotonic() - started < 3
    assert (report.stored, report.silent, report.garbage) == (3, 1, 0)
    silent = await Meter.get(id=czj.id)
    assert (silent.comm_state, silent.comm_failures) == (CommState.NO_ANSWER, 1)
    assert "1 秒内无应答" in silent.comm_error
    assert not await Alert.filter(kind=AlertKind.METER_SILENT).exists()

    for minute in (15, 30, 45):
        await collect_once(at(9, minute), SETTINGS, runtime.cipher)
    alerts = await Alert.filter(kind=AlertKind.METER_SILENT).values("meter_id", "unit_id", "message")
    assert alerts == [{"meter_id": czj.id, "unit_id": energy_world.czj_id, "message": alerts[0]["message"]}]
    assert "财政局办公电（E-CZJ-01）已连续 2 次" in alerts[0]["message"]
    assert await Reading.filter(meter_id=czj.id).count() == 0
    assert await Reading.filter(meter_id=energy_world.fgw_power.id).count() == 4

    # when it answers again
    await Meter.filter(id=czj.id).update(endpoint=f"127.0.0.1:{meter_board.port}")
    await collect_once(at(10, 0), SETTINGS, runtime.cipher)
    back = await Meter.get(id=czj.id)
    assert (back.comm_state, back.comm_failures, back.comm_error) == (CommState.ONLINE, 0, "")


def float_words(value: float) -> list[int]:
    high, low = struct.unpack(">HH", struct.pack(">f", value))
    return [high, low]


@pytest.mark.parametrize("value", [math.nan, math.inf, -12.5])
async def test_garbage_is_recorded_on_the_meter_and_not_stored(energy_world, meter_board, runtime, value):
    float_model = await MeterModel.create(
        name="浮点表",
        protocol=Protocol.MODBUS_TCP,
        register_map={**energy_world.model.register_map, "data_type": "float32", "milli_per_count": 1000},
    )
    meter = await Meter.create(
        code="E-FGW-F",
        name="发改委空调",
        kind=MeterKind.ELECTRICITY,
        unit_id=energy_world.fgw_id,
        place_id=energy_world.room_fgw_id,
        model=float_model,
        endpoint=f"127.0.0.1:{meter_board.port}",
        device_address="5",
        installed_on=energy_world.fgw_power.installed_on,
    )
    meter_board.words[5] = float_words(value)

    report = await collect_once(at(11, 0), SETTINGS, runtime.cipher)
    assert (report.stored, report.garbage, report.silent) == (4, 1, 0)
    garbled = await Meter.get(id=meter.id)
    assert (garbled.comm_state, garbled.comm_failures, garbled.last_raw_milli) == (CommState.GARBAGE, 1, None)
    assert garbled.comm_error
    assert not await Reading.filter(meter_id=meter.id).exists()

    # the same meter answering sense next slot is stored
    meter_board.words[5] = float_words(1234.5)
    await collect_once(at(11, 15), SETTINGS, runtime.cipher)
    assert await Reading.filter(meter_id=meter.id).values_list("raw_milli", flat=True) == [1_234_500]


async def test_inactive_and_manual_meters_are_not_polled(energy_world, meter_board, runtime):
    await Meter.filter(id=energy_world.czj_power.id).update(is_active=False)
    report = await collect_once(at(12, 0), SETTINGS, runtime.cipher)
    assert report.due == 3
    assert meter_board.reads[2] == 0
    assert not await Reading.filter(meter_id__in=(energy_world.czj_power.id, energy_world.fgw_water.id)).exists()


async def test_the_report_reads_as_a_line_for_the_terminal(energy_world, meter_board, runtime):
    report = await collect_once(at(13, 5), SETTINGS, runtime.cipher)
    assert str(report) == "2026-03-02 13:00 时段：应采 4 块，入库 4 条，无应答 0 块，应答无效 0 块"
    assert report.slot_at == collect.slot_of(at(13, 5), 15)


def test_the_collector_wakes_just_past_the_next_slot_start():
    assert collect.seconds_to_next_slot(datetime(2026, 3, 2, 9, 59, 30, tzinfo=BUSINESS_TZ), 15) == 31
    assert collect.seconds_to_next_slot(at(10, 0), 15) == 15 * 60 + 1


async def test_run_forever_collects_at_once_and_stops_when_told(energy_world, meter_board, runtime):
    stop = asyncio.Event()
    collector = asyncio.create_task(collect.run_forever(SETTINGS, runtime.cipher, stop))
    await eventually_async(lambda: Reading.filter(meter_id=energy_world.fgw_power.id).exists())
    stop.set()
    await asyncio.wait_for(collector, 5)
    assert await Reading.all().count() == 4


async def eventually_async(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)
