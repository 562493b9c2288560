"""Storing readings: the collector's batches once per meter and slot whatever is sent again, the
meter's last reading and state, typed readings checked in words a person reads, held readings
listed by the units in scope, and raw readings purged past retention without losing what a
re-derivation needs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.energy.config import EnergySettings
from backend.energy.models import CommState, Grain, Meter, Reading, ReadingSource
from backend.energy.service import readings
from backend.energy.service.derive import derive
from backend.energy.service.readings import ReadingIn
from tests.fixtures.energy import at, collected, grain_totals, hour_rollups
from tests.helpers import make_admin

SETTINGS = EnergySettings()


@pytest.fixture
async def reader(energy_world) -> Actor:
    admin = await make_admin("reader", ["energy.manage_meters"])
    return Actor(admin_id=admin["id"], name="抄表员")


async def test_a_batch_sent_again_stores_nothing_twice(energy_world):
    batch = collected(energy_world.fgw_power.id, (0, 100), (0.25, 200)) + collected(
        energy_world.czj_power.id, (0, 5), (0.25, 9)
    )
    assert await readings.ingest(batch) == 4
    again = [*batch, *collected(energy_world.czj_power.id, (0.5, 12))]
    assert await readings.ingest(again) == 1
    assert await Reading.all().count() == 5


async def test_ingest_notes_each_meter_newest_reading_and_that_it_answered(energy_world):
    meter = energy_world.fgw_power.id
    await Meter.filter(id=meter).update(comm_state=CommState.NO_ANSWER, comm_failures=3, comm_error="无应答")
    await readings.ingest(collected(meter, (0.25, 200), (0, 100)))
    stored = await Meter.get(id=meter)
    assert (stored.last_raw_milli, stored.last_read_at) == (200, at(0.25) + timedelta(seconds=2))
    assert (stored.comm_state, stored.comm_failures, stored.comm_error) == (CommState.ONLINE, 0, "")
    # An older slot arriving later does not become the last reading.
    await readings.ingest(collected(meter, (-1, 50)))
    assert (await Meter.get(id=meter)).last_raw_milli == 200


async def test_readings_of_unregistered_meters_are_not_stored(energy_world):
    assert await readings.ingest(collected(999_999, (0, 1)) + collected(energy_world.fgw_power.id, (0, 1))) == 1


async def test_a_collected_reading_behind_the_watermark_rederives_the_meter(energy_world):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 0), (0.25, 100), (0.75, 300)))
    await derive(None, SETTINGS)
    assert await hour_rollups(meter) == {at(0): (300, 200)}
    await readings.ingest(collected(meter, (0.5, 250)))
    assert await hour_rollups(meter) == {at(0): (300, 0)}


async def test_ingest_refuses_naive_times_and_impossible_registers(energy_world):
    meter = energy_world.fgw_power.id
    with pytest.raises(ValueError):
        await readings.ingest([ReadingIn(meter, at(0).replace(tzinfo=None), at(0), 1)])
    with pytest.raises(ValueError):
        await readings.ingest([ReadingIn(meter, at(0), at(0), -1)])


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", "请填写读数"),
        ("十二", "不是数字"),
        ("-1", "不能为负数"),
        ("1.2345", "最多三位小数"),
        ("1000000001", "不能超过"),
        ("1e40", "不能超过"),
        ("NaN", "不是数字"),
    ],
)
def test_a_typed_value_that_is_no_register_is_refused(typed, problem):
    with pytest.raises(AppError) as refused:
        readings.parse_value(typed)
    assert refused.value.code == "energy.reading_invalid" and problem in refused.value.message


def test_typed_values_become_thousandths():
    assert [readings.parse_value(v) for v in ("12345.67", "0", " 1,000.5 ", "0.001")] == [12_345_670, 0, 1_000_500, 1]


async def test_a_manual_reading_is_stored_derived_and_audited(energy_world, reader):
    water = energy_world.fgw_water.id
    await readings.record_manual(reader, water, at(8), "100")
    stored = await readings.record_manual(reader, water, at(20), "112.5")
    assert (stored["value"], stored["source"], stored["status"]) == ("112.5", "manual", "valid")
    # 08:00 -> 20:00 is a gap of hours: spread evenly, all estimated.
    assert await grain_totals(water) == dict.fromkeys(Grain, 12_500)
    assert (await hour_rollups(water))[at(9)] == (1_042, 1_042)
    entered = await Reading.filter(meter_id=water).values_list("entered_by_id", "source")
    assert set(entered) == {(reader.admin_id, ReadingSource.MANUAL)}
    audited = await AuditEntry.filter(action="energy.record_reading").values_list("actor_id", "after")
    assert len(audited) == 2 and audited[1][1]["value"] == "112.5"


async def test_manual_readings_in_the_future_twice_or_past_retention_are_refused(energy_world, reader):
    water = energy_world.fgw_water.id
    await readings.record_manual(reader, water, at(8), "100")
    with pytest.raises(AppError) as twice:
        await readings.record_manual(reader, water, at(8), "101")
    assert twice.value.code == "energy.reading_duplicate"
    with pytest.raises(AppError) as future:
        await readings.record_manual(reader, water, now() + timedelta(hours=1), "101")
    assert future.value.code == "energy.reading_invalid" and "晚于现在" in future.value.message
    with pytest.raises(AppError) as old:
        await readings.record_manual(reader, water, now() - timedelta(days=401), "90")
    assert "保留期限" in old.value.message
    with pytest.raises(AppError) as unknown:
        await readings.record_manual(reader, 999_999, at(9), "101")
    assert unknown.value.code == "energy.meter_not_found"
    assert await Reading.filter(meter_id=water).count() == 1


async def test_held_readings_are_listed_for_the_units_in_scope_only(energy_world, reader):
    fgw, czj = energy_world.fgw_power.id, energy_world.czj_power.id
    shared = energy_world.shared_power.id
    for meter in (fgw, czj, shared):
        await readings.ingest(collected(meter, (0, 500), (0.25, 400)))
    await derive(None, SETTINGS)
    assert {r["meter_id"] for r in await readings.held_readings(None)} == {fgw, czj, shared}
    assert {r["meter_id"] for r in await readings.held_readings([energy_world.czj_id])} == {czj, shared}
    assert await readings.held_readings([]) == []
    with pytest.raises(AppError) as not_held:
        await readings.review(reader, (await readings.recent_readings(fgw))[-1]["id"], False, "复核")
    assert not_held.value.code == "energy.reading_not_held"
    with pytest.raises(AppError) as no_reason:
        await readings.review(reader, (await readings.recent_readings(fgw))[0]["id"], False, " ")
    assert no_reason.value.code == "energy.reason_required"


async def test_recent_readings_are_newest_first_and_limited(energy_world):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, *[(q / 4, 10 * q) for q in range(10)]))
    recent = await readings.recent_readings(meter, limit=3)
    assert [r["raw_milli"] for r in recent] == [90, 80, 70]
    assert recent[0]["slot_at"] == at(2.25) and recent[0]["status_label"] == "正常"


# Every quarter hour for two days, 250 thousandths a quarter.
QUARTERS = [(q / 4, 250 * q) for q in range(48 * 4)]


async def purged_at_hour_39_5(meter: int) -> int:
    """The readings of QUARTERS derived, then purged with 31 days' retention ending at hour 39.5."""
    await readings.ingest(collected(meter, *QUARTERS))
    await derive(None, SETTINGS)
    return await readings.purge_raw(at(39.5) + timedelta(days=31), EnergySettings(raw_retention_days=31))


async def test_purging_keeps_what_a_rederivation_starts_from(energy_world):
    meter, fresh = energy_world.fgw_power.id, energy_world.shared_power.id
    # Hour 39.25 is the last counted reading before the cutoff; a re-derivation from it starts at
    # hour 39 (its hour's start), and the 96 readings before that (from hour 15) feed its spike
    # median: everything before hour 15 goes.
    assert await purged_at_hour_39_5(meter) == 60
    kept = sorted(await Reading.filter(meter_id=meter).values_list("slot_at", flat=True))
    assert kept[0] == at(15)
    # A late reading inside the kept period re-derives to what a meter that never lost a reading holds.
    late = ReadingIn(meter, at(41.1), at(41.1), 41_100)
    await readings.ingest([late])
    await readings.ingest([*collected(fresh, *QUARTERS), ReadingIn(fresh, at(41.1), at(41.1), 41_100)])
    await derive([fresh], SETTINGS)
    assert await hour_rollups(meter) == await hour_rollups(fresh)
    assert await grain_totals(meter) == dict.fromkeys(Grain, 47_750)


async def test_a_reading_where_raw_readings_were_purged_is_refused_and_history_is_not_erased(energy_world, reader):
    """Retention lengthened after a purge (or a collector's clock far behind): a reading in the
    purged period would re-derive the meter from its first remaining reading, replacing the use of
    every hour before it with nothing. It is refused and the rollups stay."""
    meter = energy_world.fgw_power.id
    await purged_at_hour_39_5(meter)
    before_hours, before_totals = await hour_rollups(meter), await grain_totals(meter)
    assert before_totals == dict.fromkeys(Grain, 47_750) and at(0) in before_hours
    with pytest.raises(AppError) as manual:
        await readings.record_manual(reader, meter, at(10.1), "10.1")
    assert manual.value.code == "energy.reading_invalid"
    assert "已过保留期限被清理" in manual.value.message and "抹掉已统计的用量" in manual.value.message
    # Earlier than every reading the meter ever had: refused too, not folded as its first one.
    with pytest.raises(AppError) as collected_late:
        await readings.ingest(collected(meter, (-5, 0)))
    assert collected_late.value.code == "energy.reading_invalid"
    assert await hour_rollups(meter) == before_hours
    assert await grain_totals(meter) == before_totals
    assert await Reading.filter(meter_id=meter).count() == 192 - 60
    # In the kept period a late reading is still taken.
    await readings.record_manual(reader, meter, at(20.1), "20.1")
    assert await grain_totals(meter) == before_totals


async def test_a_reading_before_a_meters_first_one_rederives_it_when_nothing_was_purged(energy_world, reader):
    meter = energy_world.fgw_water.id
    await readings.ingest(collected(meter, (10, 5_000), (11, 6_000)))
    await derive(None, SETTINGS)
    await readings.record_manual(reader, meter, at(8), "4")
    assert await grain_totals(meter) == dict.fromkeys(Grain, 2_000)


async def test_purging_never_touches_readings_not_yet_derived(energy_world):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 0), (1, 10)))
    assert await readings.purge_raw(now() + timedelta(days=500), SETTINGS) == 0
    await derive(None, SETTINGS)
    assert await readings.purge_raw(now() + timedelta(days=500), SETTINGS) == 0  # spike history
    await readings.ingest(collected(meter, *[(q / 4, 10 * q) for q in range(8, 120)]))
    await derive(None, SETTINGS)
    await readings.ingest(collected(meter, (30, 1_200), (30.25, 1_210)))
    # Readings up to hour 29.75 are derived: a re-derivation starts at hour 29 at the earliest,
    # with the 96 readings before it (from hour 5); the two after the watermark stay.
    assert await readings.purge_raw(now() + timedelta(days=500), SETTINGS) == 2 + 12
    kept = sorted(await Reading.filter(meter_id=meter).values_list("slot_at", flat=True))
    assert kept[0] == at(5) and kept[-2:] == [at(30), at(30.25)]
