"""Suggested cars and drivers for a request: only what could be dispatched, nearest first,
new-energy first among equals, stationed-here before the pool without coordinates, and only
drivers who are free and licensed for the car; a large fleet in a handful of queries."""

from datetime import date, timedelta

from tortoise import connections

from backend.fleet.models import (
    DriverLeave,
    SealPeriod,
    SealSource,
    TripState,
    Vehicle,
    VehicleStatus,
    VehicleType,
)
from backend.fleet.service.geo import distance_m
from backend.fleet.service.suggest import suggest
from tests.fixtures.fleet import MONDAY, make_request, make_trip

# 市民中心 in Hangzhou, and points about 1 km and 5 km from it.
PICKUP = (30.2450, 120.2100)
NEAR = (30.2540, 120.2100)
FAR = (30.2900, 120.2100)


def _plates(found) -> list[str]:
    return [s.plate for s in found]


async def test_only_cars_that_could_be_dispatched_are_suggested(fleet_world):
    request = await make_request(fleet_world, passengers=5)
    # the sedan's 5 seats are the driver and four passengers
    assert _plates(await suggest(request.id, buffer_minutes=15)) == ["浙AD12345", "浙A88888"]
    fleet_world.minibus.status = VehicleStatus.REPAIR
    await fleet_world.minibus.save()
    fleet_world.business.inspection_due = MONDAY.date() - timedelta(days=1)
    await fleet_world.business.save()
    assert await suggest(request.id, buffer_minutes=15) == []


async def test_a_car_held_over_the_buffered_window_is_not_suggested(fleet_world):
    earlier = await make_request(fleet_world, MONDAY + timedelta(hours=7), hours=1.9)
    await make_trip(earlier, fleet_world.business, fleet_world.bus_driver)  # held until 09:09
    request = await make_request(fleet_world)
    assert "浙AD12345" not in _plates(await suggest(request.id, buffer_minutes=15))
    cancelled = await make_request(fleet_world)
    await make_trip(cancelled, fleet_world.sedan, None, state=TripState.CANCELLED)
    assert "浙A12345" in _plates(await suggest(request.id, buffer_minutes=15))


async def test_in_a_sealed_period_only_emergency_requests_get_cars_and_only_cars_on_duty(fleet_world):
    await SealPeriod.create(
        name="春节", starts_at=MONDAY, ends_at=MONDAY + timedelta(days=7), source=SealSource.CALENDAR
    )
    fleet_world.sedan.on_duty = True
    await fleet_world.sedan.save()
    assert await suggest((await make_request(fleet_world)).id, buffer_minutes=15) == []
    emergency = await make_request(fleet_world, emergency=True)
    assert _plates(await suggest(emergency.id, buffer_minutes=15)) == ["浙A12345"]


async def test_nearest_first_then_new_energy_among_equals(fleet_world):
    request = await make_request(fleet_world, pickup_lat=PICKUP[0], pickup_lng=PICKUP[1])
    for car, (lat, lng) in ((fleet_world.sedan, NEAR), (fleet_world.business, NEAR), (fleet_world.minibus, FAR)):
        car.base_lat, car.base_lng = lat, lng
        await car.save()
    found = await suggest(request.id, buffer_minutes=15)
    assert _plates(found) == ["浙AD12345", "浙A12345", "浙A88888"]  # the new-energy car of the two near ones first
    assert found[1].distance_km == 1.0 and found[2].distance_km == 5.0
    assert round(distance_m(*PICKUP, *FAR) / 1000) == 5


async def test_without_coordinates_cars_stationed_at_the_unit_come_before_the_pool(fleet_world):
    request = await make_request(fleet_world, unit_id=fleet_world.other_unit_id)
    found = await suggest(request.id, buffer_minutes=15)
    assert _plates(found) == ["浙A88888", "浙AD12345", "浙A12345"]
    assert found[0].stationed_here and found[0].distance_km is None


async def test_each_car_comes_with_the_free_drivers_licensed_for_it(fleet_world):
    request = await make_request(fleet_world)
    by_plate = {s.plate: s for s in await suggest(request.id, buffer_minutes=15)}
    assert [name for _, name in by_plate["浙A12345"].drivers] == ["刘洋（C1）", "陈静（A1）"]
    assert [name for _, name in by_plate["浙A88888"].drivers] == ["陈静（A1）"]  # 19 seats: not for C1
    await DriverLeave.create(
        driver=fleet_world.bus_driver, starts_at=MONDAY, ends_at=MONDAY + timedelta(days=1), reason="培训"
    )
    other = await make_request(fleet_world, MONDAY + timedelta(hours=10))
    await make_trip(other, None, fleet_world.driver)
    by_plate = {s.plate: s for s in await suggest(request.id, buffer_minutes=15)}
    assert by_plate["浙A12345"].drivers == ()


async def test_a_thousand_cars_are_read_in_a_few_queries(fleet_world):
    await Vehicle.bulk_create(
        [
            Vehicle(plate=f"浙C{i:05d}", vehicle_type=VehicleType.SEDAN, seats=5, inspection_due=date(2030, 1, 1))
            for i in range(1000)
        ]
    )
    request = await make_request(fleet_world)
    conn = connections.get("default")
    executed = []
    original = conn.execute_query

    async def counting(query, values=None):
        executed.append(query)
        return await original(query, values)

    conn.execute_query = counting
    try:
        found = await suggest(request.id, buffer_minutes=15, limit=5)
    finally:
        del conn.execute_query
    assert len(found) == 5 and 3 <= len(executed) <= 8, executed
