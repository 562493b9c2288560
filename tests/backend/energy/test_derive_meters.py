"""Deriving meters' use in the database: once per reading however often it runs, held readings
alerted once and settled by review, late readings and recorded events re-deriving a meter to
exactly what it would hold had they always been there."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import Alert, AlertKind, Grain, Meter, MeterEventKind, Reading, ReadingStatus
from backend.energy.service import derive as derive_service
from backend.energy.service import meter_events, readings
from backend.energy.service.derive import derive
from backend.energy.service.readings import ReadingIn
from tests.fixtures.energy import at, collected, grain_totals, hour_rollups
from tests.helpers import make_admin

SETTINGS = EnergySettings()


@pytest.fixture
async def reader(energy_world) -> Actor:
    admin = await make_admin("reader", ["energy.manage_meters"])
    return Actor(admin_id=admin["id"], name="抄表员")


async def statuses(meter_id: int) -> list[ReadingStatus]:
    return list(await Reading.filter(meter_id=meter_id).order_by("slot_at").values_list("status", flat=True))


async def test_derive_run_twice_counts_each_reading_once(energy_world):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 10_000), (0.25, 10_400), (0.5, 11_000), (0.75, 11_100), (1, 12_000)))
    first = await derive(None, SETTINGS)
    again = await derive(None, SETTINGS)
    assert (first.meters, first.readings, first.amount_milli) == (1, 5, 2_000)
    assert (again.meters, again.amount_milli) == (0, 0)
    assert await hour_rollups(meter) == {at(0): (2_000, 0)}
    assert await grain_totals(meter) == {Grain.HOUR: 2_000, Grain.DAY: 2_000, Grain.MONTH: 2_000}
    stored = await Meter.get(id=meter)
    assert stored.derived_until == at(1) and stored.derived_raw_milli == 12_000


async def test_new_readings_continue_from_the_last_one_folded(energy_world):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 0), (0.25, 500)))
    await derive([meter], SETTINGS)
    await readings.ingest(collected(meter, (0.5, 900), (1.5, 2_100)))
    report = await derive([meter], SETTINGS)
    assert report.amount_milli == 1_600 and report.estimated_milli == 1_200
    # 00:30 -> 01:30 is a gap of four slots: half in each hour, estimated.
    assert await hour_rollups(meter) == {at(0): (900 + 600, 600), at(1): (600, 600)}
    assert await grain_totals(meter) == {Grain.HOUR: 2_100, Grain.DAY: 2_100, Grain.MONTH: 2_100}


async def test_a_backward_reading_is_held_alerted_once_and_rejecting_it_changes_no_use(energy_world, reader):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 5_000), (0.25, 5_100), (0.5, 4_000)))
    report = await derive(None, SETTINGS)
    assert report.held == 1
    await readings.ingest(collected(meter, (0.75, 5_300)))
    await derive(None, SETTINGS)
    assert await statuses(meter) == ["valid", "valid", "held_backward", "valid"]
    alerts = await Alert.filter(kind=AlertKind.READING_HELD).values_list("meter_id", "unit_id", "message")
    assert len(alerts) == 1 and alerts[0][:2] == (meter, energy_world.fgw_id) and "读数倒退" in alerts[0][2]
    assert (await grain_totals(meter))[Grain.MONTH] == 300

    held = (await readings.held_readings(None))[0]
    assert held["previous_value"] == "5.1" and held["meter_code"] == "E-FGW-01"
    with pytest.raises(AppError) as refused:
        await readings.review(reader, held["id"], True, "核对无误")
    assert refused.value.code == "energy.reading_backward_needs_event"
    decided = await readings.review(reader, held["id"], False, "抄表异常")
    assert decided["status"] == "rejected"
    # 00:15 -> 00:45 skips the rejected reading: two slots, so a gap (estimated), energy whole.
    assert await hour_rollups(meter) == {at(0): (300, 200)}
    assert await readings.held_readings(None) == []


async def test_accepting_a_spike_counts_it_and_the_readings_after_it(energy_world, reader):
    meter = energy_world.fgw_power.id
    await Meter.filter(id=meter).update(spike_limit_milli=1_000)
    await readings.ingest(collected(meter, (0, 0), (0.25, 200), (0.5, 90_000), (0.75, 90_300)))
    await derive(None, SETTINGS)
    assert await statuses(meter) == ["valid", "valid", "held_spike", "held_spike"]
    assert (await grain_totals(meter))[Grain.MONTH] == 200
    spike = (await readings.held_readings(None))[0]
    await readings.review(reader, spike["id"], True, "空调集中启用，核对属实")
    assert await statuses(meter) == ["valid", "valid", "accepted", "valid"]
    assert await hour_rollups(meter) == {at(0): (90_300, 0)}
    assert await grain_totals(meter) == {Grain.HOUR: 90_300, Grain.DAY: 90_300, Grain.MONTH: 90_300}


async def test_a_late_manual_reading_rederives_to_what_it_would_be_had_it_come_in_time(energy_world, reader):
    late, on_time = energy_world.fgw_power.id, energy_world.czj_power.id
    points = [(0, 0), (0.25, 100), (0.5, 300), (3, 3_300), (3.25, 3_400)]
    await readings.ingest(collected(late, *points))
    await derive(None, SETTINGS)
    before = await hour_rollups(late)
    await readings.record_manual(reader, late, at(1) + timedelta(minutes=20), "2.5")

    twin = collected(on_time, *points)
    twin.insert(3, ReadingIn(on_time, at(1) + timedelta(minutes=20), at(1) + timedelta(minutes=20), 2_500))
    await readings.ingest(twin)
    await derive([on_time], SETTINGS)
    assert await hour_rollups(late) == await hour_rollups(on_time) != before
    assert await grain_totals(late) == await grain_totals(on_time) == dict.fromkeys(Grain, 3_400)


async def test_a_late_reading_in_the_last_hour_folded_leaves_earlier_hours_alone(energy_world):
    meter, twin = energy_world.fgw_power.id, energy_world.czj_power.id
    points = [(h / 4, 100 * h) for h in range(12)]
    await readings.ingest(collected(meter, *[p for p in points if p[0] != 2.25]))
    await derive(None, SETTINGS)
    await readings.ingest(collected(meter, (2.25, 900)))
    await readings.ingest(collected(twin, *points))
    await derive([twin], SETTINGS)
    assert await hour_rollups(meter) == await hour_rollups(twin)
    assert await hour_rollups(twin) == {at(0): (400, 0), at(1): (400, 0), at(2): (300, 0)}


async def test_a_reset_recorded_later_releases_the_readings_it_explains(energy_world, reader):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 5_000), (0.25, 5_100), (0.5, 20), (0.75, 120)))
    await derive(None, SETTINGS)
    assert await statuses(meter) == ["valid", "valid", "held_backward", "held_backward"]
    assert (await grain_totals(meter))[Grain.MONTH] == 100

    await meter_events.record_event(reader, meter, MeterEventKind.RESET, at(0.4), "5.15", "0", 1, "电表检定后清零")
    assert await statuses(meter) == ["valid", "valid", "valid", "valid"]
    # 5000 -> 5100, then 5100 -> 5150 on the old register and 0 -> 20 -> 120 on the new one.
    assert await grain_totals(meter) == dict.fromkeys(Grain, 100 + 50 + 120)


async def test_a_ct_change_multiplies_each_side_by_its_own_ratio(energy_world, reader):
    meter = energy_world.fgw_power.id
    await Meter.filter(id=meter).update(multiplier=40)
    await readings.ingest(collected(meter, (0, 1_000), (0.25, 1_100), (0.5, 1_200)))
    await derive(None, SETTINGS)
    event = await meter_events.record_event(
        reader, meter, MeterEventKind.CT_CHANGE, at(0.5), "1.2", "1.2", 80, "更换互感器 200/5 改 400/5"
    )
    assert (event["old_multiplier"], event["new_multiplier"]) == (40, 80)
    assert (await Meter.get(id=meter)).multiplier == 80
    await readings.ingest(collected(meter, (0.75, 1_250)))
    await derive(None, SETTINGS)
    assert (await grain_totals(meter))[Grain.MONTH] == 200 * 40 + 50 * 80


async def test_derive_without_new_readings_opens_no_meter(energy_world):
    report = await derive([energy_world.fgw_power.id, 999_999], SETTINGS)
    assert (report.meters, report.readings, report.amount_milli) == (0, 0, 0)


async def test_two_derivations_at_once_count_each_reading_once(energy_world, requires_postgres):
    meters = [m.id for m in await Meter.all().order_by("id")]
    rows = []
    for n, meter in enumerate(meters):
        rows += collected(meter, *[(q / 4, 1_000 * n + 37 * q + (q * q) % 11) for q in range(4 * 24)])
    inserted = await asyncio.gather(readings.ingest(rows), readings.ingest(rows))
    assert sum(inserted) == len(rows)
    reports = await asyncio.gather(*(derive(None, SETTINGS) for _ in range(4)))
    assert sum(r.meters for r in reports) == len(meters)
    for meter in meters:
        assert await grain_totals(meter) == dict.fromkeys(Grain, 37 * 95 + (95 * 95) % 11), meter
    # More readings while two derivations run: each still counted once.
    more = []
    for n, meter in enumerate(meters):
        more += collected(meter, *[(24 + q / 4, 1_000 * n + 37 * (96 + q)) for q in range(8)])
    await asyncio.gather(readings.ingest(more), derive(None, SETTINGS), derive(None, SETTINGS))
    await asyncio.gather(derive(None, SETTINGS), derive(None, SETTINGS))
    for meter in meters:
        assert (await grain_totals(meter))[Grain.MONTH] == 37 * 103, meter


async def test_a_late_reading_racing_a_derivation_ends_as_if_it_came_in_time(energy_world, reader, requires_postgres):
    meter, twin = energy_world.fgw_power.id, energy_world.czj_power.id
    points = [(q / 4, 100 * q + q % 3) for q in range(16)]
    await readings.ingest(collected(meter, *[p for p in points if p[0] not in (1.5, 2.25)]))
    await derive(None, SETTINGS)
    newer = [(4 + q / 4, 1_600 + 50 * q) for q in range(8)]
    await asyncio.gather(
        readings.record_manual(reader, meter, at(1.5), "0.6"),
        readings.ingest(collected(meter, *newer)),
        derive(None, SETTINGS),
        readings.ingest(collected(meter, (2.25, 900))),
        derive(None, SETTINGS),
    )
    await derive(None, SETTINGS)
    await readings.ingest(collected(twin, *points, *newer))
    await derive([twin], SETTINGS)
    assert await hour_rollups(meter) == await hour_rollups(twin)
    assert await grain_totals(meter) == dict.fromkeys(Grain, 1_600 + 50 * 7)


async def test_a_rederivation_that_would_start_from_a_purged_reading_is_refused_and_erases_nothing(energy_world):
    """An event (or review) dated where the raw readings are gone: re-deriving would fold only the
    readings left and replace every hour before them with nothing. It is refused as the caller's
    error and the rollups stay."""
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, *[(q / 4, 250 * q) for q in range(48 * 4)]))
    await derive(None, SETTINGS)
    assert await derive_service.purged_from(connections.get("default"), meter) is None
    await readings.purge_raw(at(39.5) + timedelta(days=31), EnergySettings(raw_retention_days=31))
    kept = await derive_service.purged_from(connections.get("default"), meter)
    assert kept == at(15)
    before_hours, before_totals = await hour_rollups(meter), await grain_totals(meter)
    with pytest.raises(AppError) as refused:
        async with in_transaction() as conn:
            await derive_service.rederive(conn, meter, at(5), SETTINGS, refused=EnergyError.EVENT_INVALID)
    assert refused.value.code == "energy.event_invalid" and "已过保留期限被清理" in refused.value.message
    assert await hour_rollups(meter) == before_hours and before_hours[at(0)] == (1_000, 0)
    assert await grain_totals(meter) == before_totals == dict.fromkeys(Grain, 47_750)
    # From a kept reading it re-derives, and to the same rollups.
    async with in_transaction() as conn:
        await derive_service.rederive(conn, meter, at(20), SETTINGS)
    assert await hour_rollups(meter) == before_hours
