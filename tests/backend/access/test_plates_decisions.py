"""Plate decisions at a vehicle gate: official cars, staff cars within their hours and quota,
visitors' cars on a valid visit, blacklisted and unknown plates (a plate alert for the guard), and
the same camera event decided once."""

import asyncio
from datetime import datetime, timedelta

from backend.access.config import AccessSettings
from backend.access.models import (
    AccessEvent,
    Block,
    BlockKind,
    Direction,
    EventSource,
    Gate,
    PlateAlert,
    PlateAlertState,
    SubjectKind,
)
from backend.access.service import barrier, personal, plates, vehicles
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ, now
from backend.fleet.models import VehicleStatus
from tests.fixtures.access_c import official_car, staff_car, visitor_car

SETTINGS = AccessSettings()
NOON = datetime(2026, 5, 6, 12, 0, tzinfo=BUSINESS_TZ)


async def _decide(runtime, world, plate: str, event_id: str, at: datetime = NOON):
    event_no = plates.camera_event_no(world.car_gate.code, event_id)
    decision = await plates.decide_plate(
        runtime.cipher, SETTINGS, world.car_gate.id, plate, event_no, at, source_detail={"protocol": "test"}
    )
    await barrier.settle()
    return decision


def _openings(world) -> int:
    relay = barrier.relay_of(world.car_gate.id)
    return 0 if relay is None else relay.openings


async def test_official_car_in_service_enters_and_lifts_the_barrier(car_world, runtime):
    await official_car("浙A12345")
    decision = await _decide(runtime, car_world, "浙A 12345", "e1")
    assert (decision.allowed, decision.reason) == (True, "")
    assert _openings(car_world) == 1
    event = await AccessEvent.get(event_no="CAM-V-A-IN-e1")
    assert (event.subject, event.source, event.plate_masked) == (
        SubjectKind.OFFICIAL_CAR,
        EventSource.CAMERA,
        "浙A***45",
    )
    assert (await Gate.get(id=car_world.car_gate.id)).relay_state == "ok"


async def test_official_car_being_repaired_is_not_an_official_entry(car_world, runtime):
    await official_car("浙A12345", VehicleStatus.REPAIR)
    decision = await _decide(runtime, car_world, "浙A12345", "e1")
    assert (decision.allowed, decision.reason) == (False, "access.plate_unknown")
    assert _openings(car_world) == 0


async def test_staff_car_enters_within_its_hours_and_not_outside(car_world, runtime):
    await staff_car(car_world.host_id, "浙B54321", 7 * 60, 20 * 60)
    inside = await _decide(runtime, car_world, "浙B54321", "e1", NOON)
    late = await _decide(runtime, car_world, "浙B54321", "e2", NOON.replace(hour=21))
    assert (inside.allowed, inside.message) == (True, "职工车辆，请通行")
    assert (late.allowed, late.reason) == (False, "access.plate_outside_hours")
    assert _openings(car_world) == 1
    alert = await PlateAlert.get(gate_id=car_world.car_gate.id)
    assert (alert.reason, alert.state, alert.plate_masked) == (
        "access.plate_outside_hours",
        PlateAlertState.WAITING,
        "浙B***21",
    )


async def test_staff_car_overnight_hours_wrap_past_midnight(car_world, runtime):
    await staff_car(car_world.host_id, "浙B54321", 22 * 60, 6 * 60)
    assert (await _decide(runtime, car_world, "浙B54321", "e1", NOON.replace(hour=23))).allowed
    assert (await _decide(runtime, car_world, "浙B54321", "e2", NOON.replace(hour=5))).allowed
    assert not (await _decide(runtime, car_world, "浙B54321", "e3", NOON)).allowed


async def test_unit_quota_used_up_refuses_its_next_staff_car_this_month_only(car_world, runtime):
    await staff_car(car_world.host_id, "浙B54321")
    await vehicles.set_quota(CLI_ACTOR, car_world.host_unit_id, 2)
    results = [(await _decide(runtime, car_world, "浙B54321", f"e{i}")).reason for i in range(3)]
    assert results == ["", "", "access.quota_used_up"]
    next_month = await _decide(runtime, car_world, "浙B54321", "e9", NOON + timedelta(days=31))
    assert next_month.allowed
    may = await vehicles.quotas(NOON.date())
    assert [(q["unit_id"], q["quota"], q["used"]) for q in may] == [(car_world.host_unit_id, 2, 2)]


async def test_visitor_car_enters_on_a_valid_visit_and_not_after_it(car_world, runtime):
    await visitor_car(runtime.cipher, car_world, "沪C11111", NOON - timedelta(hours=1), NOON + timedelta(hours=2))
    valid = await _decide(runtime, car_world, "沪C11111", "e1")
    expired = await _decide(runtime, car_world, "沪C11111", "e2", NOON + timedelta(hours=3))
    assert (valid.allowed, valid.message) == (True, "访客车辆，请通行")
    assert (expired.allowed, expired.reason) == (False, "access.pass_expired")
    event = await AccessEvent.get(event_no="CAM-V-A-IN-e1")
    assert event.subject == SubjectKind.VISITOR_CAR and event.visit_id is not None


async def test_visitor_car_of_another_building_is_unknown_here(car_world, runtime):
    visit = await visitor_car(
        runtime.cipher, car_world, "沪C11111", NOON - timedelta(hours=1), NOON + timedelta(hours=2)
    )
    visit.building_ids = [car_world.other_building_id]
    await visit.save()
    assert (await _decide(runtime, car_world, "沪C11111", "e1")).reason == "access.plate_unknown"


async def test_blacklisted_plate_is_refused_even_as_official_car_and_not_offered_to_the_guard(car_world, runtime):
    await official_car("浙A12345")
    index = personal.index_of(runtime.cipher, "浙A12345", personal.PLATE)
    await Block.create(kind=BlockKind.PLATE, value_index=index, value_masked="浙A***45", reason="测试")
    decision = await _decide(runtime, car_world, "浙A12345", "e1")
    assert (decision.allowed, decision.reason) == (False, "access.visitor_blocked")
    assert _openings(car_world) == 0
    assert not await PlateAlert.exists()


async def test_unknown_plate_waits_for_the_guard_once_per_gate_and_plate(car_world, runtime):
    first = await _decide(runtime, car_world, "苏E99999", "e1")
    await _decide(runtime, car_world, "苏E99999", "e2", NOON + timedelta(minutes=1))
    assert (first.allowed, first.reason, first.message) == (False, "access.plate_unknown", "未登记车辆，请等候门岗处理")
    alert = await PlateAlert.get(gate_id=car_world.car_gate.id)
    assert alert.seen_at == NOON + timedelta(minutes=1)
    assert runtime.cipher.decrypt(alert.plate_encrypted, context=personal.PLATE) == "苏E99999"
    assert await AccessEvent.filter(subject=SubjectKind.UNKNOWN_PLATE, allowed=False).count() == 2


async def test_misread_plate_is_refused_and_shown_to_the_guard(car_world, runtime):
    decision = await _decide(runtime, car_world, "无车牌", "e1")
    assert decision.reason == "access.plate_invalid"
    assert (await PlateAlert.get()).reason == "access.plate_invalid"


async def test_exit_gate_lets_a_staff_car_out_outside_its_hours(car_world, runtime):
    await Gate.filter(id=car_world.car_gate.id).update(direction=Direction.OUT)
    await staff_car(car_world.host_id, "浙B54321", 7 * 60, 8 * 60)
    decision = await _decide(runtime, car_world, "浙B54321", "e1")
    assert (decision.allowed, decision.message) == (True, "再见，请慢行")


async def test_same_camera_event_again_gets_the_same_decision_and_no_second_pulse(car_world, runtime):
    await official_car("浙A12345")
    first = await _decide(runtime, car_world, "浙A12345", "same-1")
    again = await _decide(runtime, car_world, "浙A12345", "same-1", now())
    assert first == again
    assert _openings(car_world) == 1
    assert await AccessEvent.filter(event_no="CAM-V-A-IN-same-1").count() == 1


async def test_two_cars_of_a_unit_at_once_cannot_both_take_its_last_entry(car_world, runtime):
    await staff_car(car_world.host_id, "浙B54321")
    await staff_car(car_world.host_id, "浙B54322")
    await vehicles.set_quota(CLI_ACTOR, car_world.host_unit_id, 1)
    both = await asyncio.gather(
        _decide(runtime, car_world, "浙B54321", "a1"), _decide(runtime, car_world, "浙B54322", "b1")
    )
    assert sorted(d.reason for d in both) == ["", "access.quota_used_up"]
