"""The daily compliance checks on their edges, each raising its flag once, and closing a flag
with an explanation (required, once, audited)."""

from datetime import datetime, timedelta

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.models import ComplianceFlag, FlagKind, FlagState, Position, PositionSource, TripState
from backend.fleet.service import compliance
from tests.fixtures.fleet import MONDAY, make_request, make_trip

DAY = MONDAY.date()
NINE = MONDAY + timedelta(hours=9)
AFTER = MONDAY + timedelta(days=2)
# A square of about 20 km around Hangzhou's centre, as [lng, lat].
CITY = [[120.05, 30.18], [120.25, 30.18], [120.25, 30.36], [120.05, 30.36]]
INSIDE, OUTSIDE = (30.27, 120.15), (30.27, 120.40)


async def flags(kind: FlagKind) -> list[ComplianceFlag]:
    return await ComplianceFlag.filter(kind=kind).order_by("id")


async def finished_trip(world, start=NINE, hours=2, **fields):
    request = await make_request(
        world, starts_at=start, hours=hours, **{k: fields.pop(k) for k in ("outside_city",) if k in fields}
    )
    values = {
        "state": TripState.FINISHED,
        "actual_start": start,
        "actual_end": start + timedelta(hours=hours),
        **fields,
    }
    return await make_trip(request, world.sedan, world.driver, **values)


async def position(world, at, lat, lng, trip=None, vehicle=None):
    await Position.create(
        vehicle=vehicle or world.sedan,
        trip=trip,
        at=at,
        lat=lat,
        lng=lng,
        datum="wgs84",
        source=PositionSource.TERMINAL,
    )


# ---- outside the approved window --------------------------------------------------------------


@pytest.mark.parametrize(("early_minutes", "flagged"), [(30, False), (31, True)])
async def test_a_trip_started_more_than_half_an_hour_early_is_flagged(fleet_world, early_minutes, flagged):
    await finished_trip(fleet_world, actual_start=NINE - timedelta(minutes=early_minutes))
    await compliance.run_daily_checks(DAY, AFTER)
    assert len(await flags(FlagKind.OUTSIDE_WINDOW)) == int(flagged)


@pytest.mark.parametrize(("late_minutes", "flagged"), [(0, False), (1, True)])
async def test_a_return_after_the_buffered_end_is_flagged(fleet_world, late_minutes, flagged):
    trip = await finished_trip(fleet_world)
    trip.actual_end = trip.blocked_until + timedelta(minutes=late_minutes)
    await trip.save()
    await compliance.run_daily_checks(DAY, AFTER)
    assert len(await flags(FlagKind.OUTSIDE_WINDOW)) == int(flagged)


async def test_a_car_still_out_after_its_window_is_flagged_once_however_often_checked(fleet_world):
    await finished_trip(fleet_world, state=TripState.STARTED, actual_end=None)
    await compliance.run_daily_checks(DAY, AFTER)
    await compliance.run_daily_checks(DAY, AFTER)
    found = await flags(FlagKind.OUTSIDE_WINDOW)
    assert len(found) == 1 and "仍未收车" in found[0].detail


# ---- off hours ---------------------------------------------------------------------------------


async def test_a_car_moving_at_night_without_a_trip_is_flagged(fleet_world):
    night = MONDAY + timedelta(hours=23)
    await position(fleet_world, night, 30.27, 120.15)
    await position(fleet_world, night + timedelta(minutes=10), 30.29, 120.15)
    raised = await compliance.run_daily_checks(DAY, AFTER)
    assert raised["off_hours"] == 1
    assert (await flags(FlagKind.OFF_HOURS))[0].vehicle_id == fleet_world.sedan.id


async def test_a_parked_car_drifting_at_night_is_not_flagged(fleet_world):
    night = MONDAY + timedelta(hours=1)
    await position(fleet_world, night, 30.27, 120.15)
    await position(fleet_world, night + timedelta(hours=1), 30.2705, 120.1505)  # ~70 m of GPS drift
    await compliance.run_daily_checks(DAY, AFTER)
    assert await flags(FlagKind.OFF_HOURS) == []


async def test_moving_at_night_on_a_trip_is_not_flagged(fleet_world):
    night = MONDAY + timedelta(hours=22, minutes=30)
    trip = await finished_trip(fleet_world, start=night, hours=1)
    await position(fleet_world, night + timedelta(minutes=5), 30.27, 120.15, trip)
    await position(fleet_world, night + timedelta(minutes=30), 30.30, 120.15, trip)
    await compliance.run_daily_checks(DAY, AFTER)
    assert await flags(FlagKind.OFF_HOURS) == []


async def test_moving_by_day_on_a_working_day_is_not_off_hours_but_on_a_sunday_it_is(fleet_world):
    for day_offset in (0, 6):  # Monday, then Sunday
        noon = MONDAY + timedelta(days=day_offset, hours=12)
        await position(fleet_world, noon, 30.27, 120.15)
        await position(fleet_world, noon + timedelta(minutes=20), 30.30, 120.15)
        await compliance.run_daily_checks(noon.date(), AFTER + timedelta(days=7))
    found = await flags(FlagKind.OFF_HOURS)
    assert len(found) == 1 and "非工作日" in found[0].detail


# ---- leaving the approved area -----------------------------------------------------------------


async def _fence(dwell: int = 10):
    await compliance.save_geofence(CLI_ACTOR, "杭州市区", CITY, dwell)


async def test_a_single_stray_point_outside_the_fence_raises_nothing(fleet_world):
    await _fence()
    trip = await finished_trip(fleet_world)
    for minute, (lat, lng) in enumerate([INSIDE, INSIDE, OUTSIDE, INSIDE, INSIDE]):
        await position(fleet_world, NINE + timedelta(minutes=minute * 5), lat, lng, trip)
    await compliance.run_daily_checks(DAY, AFTER)
    assert await flags(FlagKind.LEFT_AREA) == []


@pytest.mark.parametrize(("outside_minutes", "flagged"), [(9, False), (10, True)])
async def test_staying_outside_for_the_dwell_time_is_flagged(fleet_world, outside_minutes, flagged):
    await _fence(dwell=10)
    trip = await finished_trip(fleet_world)
    await position(fleet_world, NINE, *INSIDE, trip)
    await position(fleet_world, NINE + timedelta(minutes=10), *OUTSIDE, trip)
    await position(fleet_world, NINE + timedelta(minutes=10 + outside_minutes), *OUTSIDE, trip)
    await position(fleet_world, NINE + timedelta(minutes=30), *INSIDE, trip)
    await compliance.run_daily_checks(DAY, AFTER)
    assert len(await flags(FlagKind.LEFT_AREA)) == int(flagged)


async def test_a_trip_approved_outside_the_city_may_leave_the_fence(fleet_world):
    await _fence(dwell=10)
    trip = await finished_trip(fleet_world, outside_city=True)
    for minute in range(0, 60, 10):
        await position(fleet_world, NINE + timedelta(minutes=minute), *OUTSIDE, trip)
    await compliance.run_daily_checks(DAY, AFTER)
    assert await flags(FlagKind.LEFT_AREA) == []


@pytest.mark.parametrize(
    ("polygon", "dwell", "problem"),
    [
        ([[120.0, 30.0], [120.1, 30.0]], 10, "至少需要 3 个"),
        ([[120.0, 30.0], [120.1, 30.0], [200.0, 30.1]], 10, "经纬度不合理"),
        (CITY, 0, "停留时间"),
        (CITY, 121, "停留时间"),
    ],
)
async def test_a_bad_geofence_is_refused(fleet_world, polygon, dwell, problem):
    with pytest.raises(AppError) as refused:
        await compliance.save_geofence(CLI_ACTOR, "市区", polygon, dwell)
    assert refused.value.code == "fleet.geofence_invalid" and problem in refused.value.message


def test_a_polygon_may_be_typed_as_lines_or_as_json():
    assert compliance.parse_polygon("120.0,30.0\n120.1, 30.0\n120.1，30.1\n") == [
        [120.0, 30.0],
        [120.1, 30.0],
        [120.1, 30.1],
    ]
    assert compliance.parse_polygon("[[120.0,30.0],[120.1,30.0],[120.1,30.1],[120.0,30.0]]") == [
        [120.0, 30.0],
        [120.1, 30.0],
        [120.1, 30.1],
    ]


async def test_saving_the_geofence_is_audited_and_replaces_the_shape(fleet_world):
    await _fence(dwell=10)
    await compliance.save_geofence(CLI_ACTOR, "杭州市区", CITY[:3], 15)
    fence = await compliance.active_geofence()
    assert len(fence.polygon) == 3 and fence.dwell_minutes == 15
    entries = await AuditEntry.filter(action="fleet.save_geofence").order_by("id")
    assert len(entries) == 2 and entries[1].before["vertices"] == 4 and entries[1].after["vertices"] == 3


# ---- odometer gaps -----------------------------------------------------------------------------


@pytest.mark.parametrize(("gap", "flagged"), [(5, False), (6, True)])
async def test_unexplained_mileage_between_trips_is_flagged(fleet_world, gap, flagged):
    await finished_trip(fleet_world, start=NINE - timedelta(days=1), start_odometer_km=1000, end_odometer_km=1040)
    await finished_trip(fleet_world, start_odometer_km=1040 + gap, end_odometer_km=1100)
    await compliance.run_daily_checks(DAY, AFTER)
    found = await flags(FlagKind.ODOMETER_GAP)
    assert len(found) == int(flagged)
    if flagged:
        assert "里程不明" in found[0].detail


# ---- closing flags -----------------------------------------------------------------------------


async def _a_flag(world) -> int:
    await finished_trip(world, actual_start=NINE - timedelta(hours=2))
    await compliance.run_daily_checks(DAY, AFTER)
    return (await flags(FlagKind.OUTSIDE_WINDOW))[0].id


async def test_closing_a_flag_needs_an_explanation_and_is_audited(fleet_world):
    flag_id = await _a_flag(fleet_world)
    assert await compliance.open_flag_count() == 1
    with pytest.raises(AppError) as refused:
        await compliance.close_flag(CLI_ACTOR, flag_id, "   ", AFTER)
    assert refused.value.code == "fleet.explanation_required"
    await compliance.close_flag(CLI_ACTOR, flag_id, "领导临时提前出发，已补办手续", AFTER)
    flag = await ComplianceFlag.get(id=flag_id)
    assert flag.state == FlagState.CLOSED and flag.explanation == "领导临时提前出发，已补办手续"
    entry = await AuditEntry.get(action="fleet.close_flag", object_id=str(flag_id))
    assert entry.after["explanation"] == "领导临时提前出发，已补办手续"
    assert await compliance.open_flag_count() == 0


async def test_closing_a_flag_twice_is_refused(fleet_world):
    flag_id = await _a_flag(fleet_world)
    await compliance.close_flag(CLI_ACTOR, flag_id, "已核实", AFTER)
    with pytest.raises(AppError) as refused:
        await compliance.close_flag(CLI_ACTOR, flag_id, "再次说明", AFTER)
    assert refused.value.code == "fleet.flag_closed"
    assert (await ComplianceFlag.get(id=flag_id)).explanation == "已核实"


async def test_open_flags_are_counted_by_kind(fleet_world):
    await _a_flag(fleet_world)
    assert await compliance.open_flags_by_kind() == {"outside_window": 1}


def test_off_hours_are_the_nights_of_a_working_day_and_all_of_a_day_off():
    monday = compliance.off_hours_stretches(DAY)
    assert [(a.hour, b.hour) for a, b in monday] == [(0, 6), (22, 0)]
    national_day = compliance.off_hours_stretches(datetime(2026, 10, 2, tzinfo=BUSINESS_TZ).date())
    assert len(national_day) == 1 and national_day[0][1] - national_day[0][0] == timedelta(days=1)
