"""公务用车 in the mini-program: a driver (a cadre like any other) sees and runs only their own
trips, sends fen, and the passenger confirms and rates the finished trip."""

from datetime import timedelta

from backend.core.timeutil import now
from backend.fleet.models import QuotaEntry, RequestState, Trip, Vehicle
from tests.fixtures.fleet import MONDAY, make_request, make_trip
from tests.helpers import bearer
from tests.helpers.cadres import bound_token

START = MONDAY + timedelta(hours=9)


async def _trip(world):
    await Vehicle.filter(id=world.sedan.id).update(odometer_km=1000)
    request = await make_request(world, starts_at=START, state=RequestState.DISPATCHED)
    return request, await make_trip(request, world.sedan, world.driver)


async def test_a_driver_starts_and_finishes_their_trip_and_the_passenger_rates_it(client, wechat, fleet_world):
    driver = await bound_token(client, wechat, "o-liuyang", "13800000004")
    passenger = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    request, trip = await _trip(fleet_world)
    listed = await client.get("/mp/v1/fleet/driver/trips?which=upcoming", headers=bearer(driver))
    assert listed.status_code == 200, listed.text
    assert [t["id"] for t in listed.json()["items"]] == [trip.id]
    started = await client.post(
        f"/mp/v1/fleet/driver/trips/{trip.id}/start", headers=bearer(driver), json={"odometer_km": 1000}
    )
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "started"
    # an hour on the road (the routes take the time from the clock)
    await Trip.filter(id=trip.id).update(actual_start=now() - timedelta(hours=1))
    finished = await client.post(
        f"/mp/v1/fleet/driver/trips/{trip.id}/finish",
        headers=bearer(driver),
        json={"odometer_km": 1030, "toll_fen": 1500, "parking_fen": 500},
    )
    assert finished.status_code == 200, finished.text
    assert finished.json()["cost_fen"] == 30 * 150 + 1500 + 500
    assert await QuotaEntry.filter(trip_id=trip.id).exists()
    done = (await client.get("/mp/v1/fleet/driver/trips?which=done", headers=bearer(driver))).json()
    assert [t["id"] for t in done["items"]] == [trip.id]
    rated = await client.post(
        f"/mp/v1/fleet/requests/{request.id}/confirm", headers=bearer(passenger), json={"rating": 5, "comment": "好"}
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["rating"] == 5


async def test_another_driver_gets_not_found_for_a_trip_not_theirs(client, wechat, fleet_world):
    other = await bound_token(client, wechat, "o-chenjing", "13800000005")
    _, trip = await _trip(fleet_world)
    assert (await client.get(f"/mp/v1/fleet/driver/trips/{trip.id}", headers=bearer(other))).status_code == 404
    refused = await client.post(
        f"/mp/v1/fleet/driver/trips/{trip.id}/start", headers=bearer(other), json={"odometer_km": 1000}
    )
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "fleet.not_your_trip"
    assert (await client.get("/mp/v1/fleet/driver/trips", headers=bearer(other))).json()["total"] == 0


async def test_a_finish_with_yuan_decimals_or_negative_fen_is_refused(client, wechat, fleet_world):
    driver = await bound_token(client, wechat, "o-liuyang", "13800000004")
    _, trip = await _trip(fleet_world)
    await client.post(f"/mp/v1/fleet/driver/trips/{trip.id}/start", headers=bearer(driver), json={"odometer_km": 1000})
    for body in ({"odometer_km": 1010, "toll_fen": 15.5}, {"odometer_km": 1010, "parking_fen": -1}, {}):
        refused = await client.post(f"/mp/v1/fleet/driver/trips/{trip.id}/finish", headers=bearer(driver), json=body)
        assert refused.status_code == 422, refused.text


async def test_only_the_requester_confirms(client, wechat, fleet_world):
    driver = await bound_token(client, wechat, "o-liuyang", "13800000004")
    request, _ = await _trip(fleet_world)
    refused = await client.post(
        f"/mp/v1/fleet/requests/{request.id}/confirm", headers=bearer(driver), json={"rating": 5}
    )
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "fleet.not_your_request"


async def test_the_driver_routes_need_a_cadre_session(client, fleet_world):
    assert (await client.get("/mp/v1/fleet/driver/trips")).status_code == 401
