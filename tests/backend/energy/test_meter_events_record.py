"""Recording meter events: checked against the meter and its readings before anything is
written, the multiplier and replacement date following the event, audited, and listed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.audit import CLI_ACTOR, Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.energy.config import EnergySettings
from backend.energy.models import Grain, Meter, MeterEvent, MeterEventKind
from backend.energy.service import meter_events, readings
from backend.energy.service.derive import derive
from tests.fixtures.energy import at, collected, grain_totals
from tests.helpers import make_admin

SETTINGS = EnergySettings()


@pytest.fixture
async def admin(energy_world) -> Actor:
    created = await make_admin("metering", ["energy.manage_meters"])
    return Actor(admin_id=created["id"], name="计量员")


async def refused(coroutine) -> str:
    with pytest.raises(AppError) as caught:
        await coroutine
    return f"{caught.value.code} {caught.value.message}"


async def test_a_replacement_sets_the_new_ratio_and_date_and_is_listed(energy_world, admin):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 80_000), (0.25, 80_100)))
    await derive(None, SETTINGS)
    event = await meter_events.record_event(
        admin, meter, MeterEventKind.REPLACEMENT, at(0.4), "80.15", "0.01", 2, "旧表故障更换"
    )
    assert (event["kind_label"], event["old_final"], event["new_start"]) == ("换表", "80.15", "0.01")
    stored = await Meter.get(id=meter)
    assert (stored.multiplier, stored.replaced_on) == (2, at(0.4).date())
    await readings.ingest(collected(meter, (0.5, 110)))
    await derive(None, SETTINGS)
    assert (await grain_totals(meter))[Grain.MONTH] == 100 + 50 + (110 - 10) * 2
    listed = await meter_events.events_of(meter)
    assert [e["id"] for e in listed] == [event["id"]] and listed[0]["admin_name"] == "metering"
    audited = await AuditEntry.filter(action="energy.record_event").values_list("object_id", "before", "after")
    assert audited == [(str(meter), {"multiplier": 1}, audited[0][2])] and audited[0][2]["multiplier"] == 2


async def test_an_old_final_below_a_value_already_read_is_refused(energy_world, admin):
    meter = energy_world.fgw_power.id
    await readings.ingest(collected(meter, (0, 80_000), (0.25, 80_100)))
    problem = await refused(
        meter_events.record_event(admin, meter, MeterEventKind.RESET, at(0.4), "80.05", "0", 1, "清零")
    )
    assert problem.startswith("energy.event_invalid") and "小于" in problem and "80.1" in problem
    assert await MeterEvent.all().count() == 0


async def test_events_out_of_order_wrong_ratios_and_bad_values_are_refused(energy_world, admin):
    meter = energy_world.fgw_power.id
    await meter_events.record_event(admin, meter, MeterEventKind.CT_CHANGE, at(2), "1", "1", 40, "更换互感器")
    cases = [
        (MeterEventKind.RESET, at(1), "5", "0", 40, "清零", "上一次记录"),
        (MeterEventKind.RESET, at(3), "5", "0", 1, "清零", "倍率应仍为 40"),
        (MeterEventKind.CT_CHANGE, at(3), "5", "5", 40, "换互感器", "不同的新倍率"),
        (MeterEventKind.REPLACEMENT, at(3), "5", "0", 0, "换表", "1 到 100000"),
        (MeterEventKind.REPLACEMENT, at(3), "-5", "0", 40, "换表", "旧表止码：读数不能为负数"),
        (MeterEventKind.REPLACEMENT, at(3), "5", "x", 40, "换表", "新表起码："),
        (MeterEventKind.REPLACEMENT, now() + timedelta(hours=2), "5", "0", 40, "换表", "晚于现在"),
        (MeterEventKind.REPLACEMENT, at(3), "0.5", "0", 40, "换表", "上一次记录的起码"),
    ]
    for kind, moment, final, start, ratio, reason, words in cases:
        problem = await refused(meter_events.record_event(admin, meter, kind, moment, final, start, ratio, reason))
        assert problem.startswith("energy.event_invalid") and words in problem, (words, problem)
    no_reason = await refused(meter_events.record_event(admin, meter, MeterEventKind.RESET, at(3), "5", "0", 40, ""))
    assert no_reason.startswith("energy.reason_required")
    by_cli = await refused(meter_events.record_event(CLI_ACTOR, meter, MeterEventKind.RESET, at(3), "5", "0", 40, "x"))
    assert "管理员" in by_cli
    unknown = await refused(meter_events.record_event(admin, 999_999, MeterEventKind.RESET, at(3), "5", "0", 1, "x"))
    assert unknown.startswith("energy.meter_not_found")
    assert await MeterEvent.all().count() == 1 and (await Meter.get(id=meter)).multiplier == 40


async def test_an_event_before_the_meter_was_installed_is_refused(energy_world, admin):
    meter = energy_world.fgw_power.id
    await Meter.filter(id=meter).update(installed_on=at(24).date())
    problem = await refused(meter_events.record_event(admin, meter, MeterEventKind.RESET, at(2), "5", "0", 1, "清零"))
    assert "安装日期" in problem
