"""The driver's trips: start and finish with their checks (only the assigned driver, readings
that do not run backwards, a plausible speed, bounded costs), the cost of a fleet trip (per km,
costs paid, overtime by started half hour) and of a rental (started days, per km), its charge to
the unit's quota in the month it ended, an unexplained gap flagged, retries answered once, and the
passenger's one rating."""

from datetime import timedelta

import pytest

from backend.accounts.models import Unit
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.fleet.models import (
    ComplianceFlag,
    FlagKind,
    QuotaEntry,
    RentalCompany,
    RentalRate,
    RequestState,
    Trip,
    TripRequest,
    TripState,
    Vehicle,
    VehicleType,
)
from backend.fleet.service import quotas, trips
from tests.fixtures.fleet import MONDAY, make_request, make_trip

START = MONDAY + timedelta(hours=9)


async def _assigned(world, hours: float = 2, starts_at=START):
    request = await make_request(world, starts_at=starts_at, hours=hours, state=RequestState.DISPATCHED)
    return request, await make_trip(request, world.sedan, world.driver)


async def _started(world, odometer=1000, hours: float = 2, starts_at=START):
    await Vehicle.filter(id=world.sedan.id).update(odometer_km=odometer)
    request, trip = await _assigned(world, hours, starts_at)
    await trips.start(world.driver.person_id, trip.id, odometer, starts_at)
    return request, trip


async def test_a_trip_is_started_and_finished_with_its_cost_charged_to_the_unit(fleet_world):
    request, trip = await _started(fleet_world)
    done = await trips.finish(fleet_world.driver.person_id, trip.id, 1060, 2500, 1000, 3000, START + timedelta(hours=2))
    # 60 km × 1.50 yuan + 25 toll + 10 parking + 30 fuel, back on time: no overtime
    assert done["state"] == "finished" and done["km"] == 60 and done["overtime_fen"] == 0
    assert done["cost_fen"] == 60 * 150 + 2500 + 1000 + 3000
    assert (await Vehicle.get(id=fleet_world.sedan.id)).odometer_km == 1060
    assert (await TripRequest.get(id=request.id)).state == RequestState.FINISHED
    line = await QuotaEntry.get(trip_id=trip.id)
    assert (line.unit_id, line.year, line.month, line.amount_fen) == (fleet_world.unit_id, 2027, 3, -done["cost_fen"])


async def test_the_charge_falls_in_the_month_the_trip_ended(fleet_world):
    evening = MONDAY.replace(day=31, hour=20)  # 2027-03-31, a Wednesday
    _, trip = await _started(fleet_world, starts_at=evening, hours=3)
    await trips.finish(fleet_world.driver.person_id, trip.id, 1100, 0, 0, 0, evening + timedelta(hours=4, minutes=10))
    line = await QuotaEntry.get(trip_id=trip.id)
    assert (line.year, line.month) == (2027, 4)


@pytest.mark.parametrize(
    ("late", "half_hours"),
    [(timedelta(0), 0), (timedelta(minutes=1), 1), (timedelta(minutes=30), 1), (timedelta(minutes=31), 2)],
)
async def test_overtime_is_charged_by_started_half_hour_past_the_plan(fleet_world, late, half_hours):
    _, trip = await _started(fleet_world)
    done = await trips.finish(fleet_world.driver.person_id, trip.id, 1010, 0, 0, 0, START + timedelta(hours=2) + late)
    assert done["overtime_fen"] == half_hours * 3000 // 2
    assert done["cost_fen"] == 10 * 150 + done["overtime_fen"]


async def test_only_the_assigned_driver_starts_a_trip(fleet_world):
    _, trip = await _assigned(fleet_world)
    with pytest.raises(AppError) as refused:
        await trips.start(fleet_world.bus_driver.person_id, trip.id, 0, START)
    assert refused.value.code == "fleet.not_your_trip" and refused.value.status == 404
    assert (await Trip.get(id=trip.id)).state == TripState.ASSIGNED


async def test_a_start_below_the_cars_odometer_is_refused(fleet_world):
    await Vehicle.filter(id=fleet_world.sedan.id).update(odometer_km=5000)
    _, trip = await _assigned(fleet_world)
    with pytest.raises(AppError) as refused:
        await trips.start(fleet_world.driver.person_id, trip.id, 4999, START)
    assert refused.value.code == "fleet.odometer_backwards"


async def test_a_start_well_above_the_last_reading_is_flagged_once_not_refused(fleet_world):
    await Vehicle.filter(id=fleet_world.sedan.id).update(odometer_km=5000)
    _, trip = await _assigned(fleet_world)
    started = await trips.start(fleet_world.driver.person_id, trip.id, 5000 + trips.GAP_KM + 1, START)
    assert started["state"] == "started"
    flag = await ComplianceFlag.get(kind=FlagKind.ODOMETER_GAP)
    assert flag.trip_id == trip.id and "多 6 公里" in flag.detail
    await trips.start(fleet_world.driver.person_id, trip.id, 5000 + trips.GAP_KM + 1, START)  # a retry
    assert await ComplianceFlag.all().count() == 1


async def test_a_start_within_a_few_km_of_the_last_reading_raises_no_flag(fleet_world):
    await Vehicle.filter(id=fleet_world.sedan.id).update(odometer_km=5000)
    _, trip = await _assigned(fleet_world)
    await trips.start(fleet_world.driver.person_id, trip.id, 5000 + trips.GAP_KM, START)
    assert await ComplianceFlag.all().count() == 0


async def test_a_finish_below_the_start_reading_is_refused(fleet_world):
    _, trip = await _started(fleet_world)
    with pytest.raises(AppError) as refused:
        await trips.finish(fleet_world.driver.person_id, trip.id, 999, 0, 0, 0, START + timedelta(hours=1))
    assert refused.value.code == "fleet.odometer_backwards"
    assert (await Trip.get(id=trip.id)).state == TripState.STARTED


async def test_an_implausible_average_speed_is_refused(fleet_world):
    _, trip = await _started(fleet_world)
    # 151 km in one hour
    with pytest.raises(AppError) as refused:
        await trips.finish(fleet_world.driver.person_id, trip.id, 1151, 0, 0, 0, START + timedelta(hours=1))
    assert refused.value.code == "fleet.speed_implausible"
    done = await trips.finish(fleet_world.driver.person_id, trip.id, 1150, 0, 0, 0, START + timedelta(hours=1))
    assert done["km"] == 150


async def test_a_finish_before_the_start_is_refused(fleet_world):
    _, trip = await _started(fleet_world)
    with pytest.raises(AppError) as refused:
        await trips.finish(fleet_world.driver.person_id, trip.id, 1000, 0, 0, 0, START - timedelta(minutes=1))
    assert refused.value.code == "fleet.trip_time_invalid"


async def test_costs_out_of_bounds_are_refused(fleet_world):
    _, trip = await _started(fleet_world)
    for costs in ((-1, 0, 0), (0, trips.MAX_COST_FEN + 1, 0)):
        with pytest.raises(AppError) as refused:
            await trips.finish(fleet_world.driver.person_id, trip.id, 1010, *costs, START + timedelta(hours=1))
        assert refused.value.code == "fleet.cost_invalid"


async def test_a_trip_not_started_cannot_be_finished(fleet_world):
    _, trip = await _assigned(fleet_world)
    with pytest.raises(AppError) as refused:
        await trips.finish(fleet_world.driver.person_id, trip.id, 10, 0, 0, 0, START + timedelta(hours=1))
    assert refused.value.code == "fleet.trip_state"


async def test_finishing_twice_with_the_same_readings_answers_the_first_result(fleet_world):
    _, trip = await _started(fleet_world)
    args = (fleet_world.driver.person_id, trip.id, 1040, 500, 0, 0)
    first = await trips.finish(*args, START + timedelta(hours=2))
    again = await trips.finish(*args, START + timedelta(hours=5))
    assert again == first
    assert await QuotaEntry.filter(trip_id=trip.id).count() == 1
    with pytest.raises(AppError) as refused:
        await trips.finish(fleet_world.driver.person_id, trip.id, 1041, 500, 0, 0, START + timedelta(hours=5))
    assert refused.value.code == "fleet.trip_state"


async def test_a_vehicle_type_without_a_rate_cannot_be_finished_until_one_is_set(fleet_world):
    await Vehicle.filter(id=fleet_world.sedan.id).update(vehicle_type=VehicleType.OFF_ROAD)
    _, trip = await _started(fleet_world)
    with pytest.raises(AppError) as refused:
        await trips.finish(fleet_world.driver.person_id, trip.id, 1010, 0, 0, 0, START + timedelta(hours=1))
    assert refused.value.code == "fleet.no_cost_rate" and "越野车" in refused.value.message
    assert await QuotaEntry.all().count() == 0


async def _rental(world, days_planned: float = 1):
    company = await RentalCompany.create(name="安达租车")
    await RentalRate.create(company=company, vehicle_type=VehicleType.BUSINESS, per_day_fen=600_00, per_km_fen=120)
    request = await make_request(world, hours=24 * days_planned, state=RequestState.DISPATCHED)
    trip = await make_trip(
        request, None, None, rental_company=company, rental_vehicle_type=VehicleType.BUSINESS, rental_plate="浙B12345"
    )
    return request, trip


async def test_a_rental_is_charged_per_started_day_and_per_km_and_audited(fleet_world):
    request, trip = await _rental(fleet_world, days_planned=1)
    # 25 hours after the planned start: two started days
    done = await trips.finish_rental(CLI_ACTOR, trip.id, 300, 4000, 2000, START + timedelta(hours=25))
    assert done["cost_fen"] == 2 * 600_00 + 300 * 120 + 4000 + 2000 and done["plate"] == "浙B12345"
    assert (await TripRequest.get(id=request.id)).state == RequestState.FINISHED
    assert (await QuotaEntry.get(trip_id=trip.id)).amount_fen == -done["cost_fen"]
    entry = await AuditEntry.get(action="fleet.finish_rental")
    assert entry.after["days"] == 2 and entry.after["cost_fen"] == done["cost_fen"]
    again = await trips.finish_rental(CLI_ACTOR, trip.id, 300, 4000, 2000, START + timedelta(hours=30))
    assert again == done and await AuditEntry.filter(action="fleet.finish_rental").count() == 1


def test_a_rental_of_a_few_hours_is_one_day():
    assert trips.started_days(START, START + timedelta(hours=3)) == 1
    assert trips.started_days(START, START + timedelta(hours=24)) == 1
    assert trips.started_days(START, START + timedelta(hours=24, minutes=1)) == 2


async def test_a_fleet_trip_cannot_be_finished_as_a_rental(fleet_world):
    _, trip = await _started(fleet_world)
    with pytest.raises(AppError) as refused:
        await trips.finish_rental(CLI_ACTOR, trip.id, 10, 0, 0, START + timedelta(hours=2))
    assert refused.value.code == "fleet.trip_not_found"


async def _finished(world):
    request, trip = await _started(world)
    await trips.finish(world.driver.person_id, trip.id, 1020, 0, 0, 0, START + timedelta(hours=2))
    return request


async def test_the_requester_rates_a_finished_trip_once(fleet_world):
    request = await _finished(fleet_world)
    at = START + timedelta(hours=3)
    rated = await trips.confirm(fleet_world.requester_id, request.id, 5, "准时", at)
    assert rated["rating"] == 5 and rated["comment"] == "准时"
    assert await trips.confirm(fleet_world.requester_id, request.id, 5, "准时", at) == rated
    with pytest.raises(AppError) as refused:
        await trips.confirm(fleet_world.requester_id, request.id, 3, "", at)
    assert refused.value.code == "fleet.request_confirmed"


async def test_only_the_requester_rates_and_only_after_the_trip(fleet_world):
    request, _ = await _started(fleet_world)
    with pytest.raises(AppError) as early:
        await trips.confirm(fleet_world.requester_id, request.id, 4, "", START)
    assert early.value.code == "fleet.request_state"
    with pytest.raises(AppError) as other:
        await trips.confirm(fleet_world.driver.person_id, request.id, 4, "", START)
    assert other.value.code == "fleet.not_your_request"
    with pytest.raises(AppError) as bad:
        await trips.confirm(fleet_world.requester_id, request.id, 6, "", START)
    assert bad.value.code == "fleet.rating_invalid"


async def test_the_driver_lists_upcoming_and_done_trips(fleet_world):
    await _finished(fleet_world)
    _, upcoming = await _assigned(fleet_world, starts_at=START + timedelta(days=1))
    person = fleet_world.driver.person_id
    assert [t["id"] for t in (await trips.my_trips(person, "upcoming", 1, 20))["items"]] == [upcoming.id]
    done = (await trips.my_trips(person, "done", 1, 20))["items"]
    assert len(done) == 1 and done[0]["requester_name"] == "张伟" and done[0]["plate"] == "浙A12345"
    assert (await trips.my_trips(fleet_world.bus_driver.person_id, None, 1, 20))["total"] == 0
    assert await quotas.balance(fleet_world.unit_id, 2027) == -20 * 150


async def test_an_offices_trip_draws_on_its_agencys_quota(fleet_world):
    """Quotas are set per agency (市发改委); its offices' requests are charged to it."""
    agency = await Unit.get(code="FGW")
    await quotas.allocate(CLI_ACTOR, agency.id, 2027, 10_000_00, "年度核定", START)
    assert await quotas.remaining(fleet_world.unit_id, 2027) == 10_000_00  # 办公室 of 发改委
    _, trip = await _started(fleet_world)
    done = await trips.finish(fleet_world.driver.person_id, trip.id, 1010, 0, 0, 0, START + timedelta(hours=2))
    assert (await QuotaEntry.get(trip_id=trip.id)).unit_id == agency.id
    assert await quotas.remaining(fleet_world.unit_id, 2027) == 10_000_00 - done["cost_fen"]
    # an office with a quota of its own draws on that
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, 2027, 500_00, "处室额度", START)
    assert await quotas.remaining(fleet_world.unit_id, 2027) == 500_00
