"""Positions from the vehicle-terminal platform over the signed device API: stored in WGS-84,
attached to the trip under way, bad points named by index without holding back the rest, a
retry storing nothing more, and other devices refused."""

from datetime import timedelta

import pytest

from backend.accounts.service import devices
from backend.accounts.service.devices import DeviceKind
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import now
from backend.fleet.models import Datum, Position, PositionSource, TripState
from backend.fleet.service import geo
from tests.fixtures.canteen import Terminal
from tests.fixtures.fleet import make_request, make_trip
from tests.helpers import json_body

PATH = "/device/v1/fleet/positions"


async def _device(runtime, code: str, kind: DeviceKind) -> Terminal:
    _, secret = await devices.register_device(CLI_ACTOR, runtime.cipher, code, code, kind, "")
    return Terminal(code, secret)


@pytest.fixture
async def platform(fleet_world, runtime) -> Terminal:
    return await _device(runtime, "GPS-PLATFORM", DeviceKind.FLEET_PLATFORM)


async def send(client, device: Terminal, positions: list[dict]):
    body = json_body({"positions": positions})
    return await client.post(PATH, content=body, headers=device.headers(PATH, body))


def point(at, plate="浙A12345", lat=30.27, lng=120.15, **extra) -> dict:
    return {"plate": plate, "at": at.isoformat(), "lat": lat, "lng": lng, **extra}


async def test_a_signed_batch_is_stored_and_attached_to_the_trip_under_way(client, platform, fleet_world):
    started = now() - timedelta(hours=1)
    request = await make_request(fleet_world, starts_at=started)
    trip = await make_trip(
        request, fleet_world.sedan, fleet_world.driver, state=TripState.STARTED, actual_start=started
    )
    batch = [
        point(started - timedelta(minutes=30)),
        point(started + timedelta(minutes=5), speed=42.5),
        point(started + timedelta(minutes=6), lat=30.28, lng=120.16, datum="gcj02"),
    ]
    response = await send(client, platform, batch)
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 3, "added": 3, "duplicates": 0, "refused": []}
    rows = await Position.filter(vehicle_id=fleet_world.sedan.id).order_by("at")
    assert [r.trip_id for r in rows] == [None, trip.id, trip.id]
    assert rows[1].speed_kmh == 42.5 and rows[1].source == PositionSource.TERMINAL
    assert rows[2].datum == Datum.GCJ02
    assert (rows[2].lat, rows[2].lng) == pytest.approx(geo.gcj02_to_wgs84(30.28, 120.16), abs=1e-9)


async def test_invalid_points_are_named_by_index_and_the_rest_are_stored(client, platform):
    at = now() - timedelta(minutes=10)
    batch = [
        point(at),
        point(at, plate="沪B99999"),
        point(at + timedelta(minutes=1), lat=123.0),
        point(at + timedelta(days=1)),
        point(at + timedelta(minutes=2), speed=900),
    ]
    response = await send(client, platform, batch)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["added"] == 1
    assert [r["index"] for r in body["refused"]] == [1, 2, 3, 4]
    assert body["refused"][0]["code"] == "fleet.positions_invalid"
    assert body["refused"][0]["message"] == "第 2 个定位点无效：车牌号“沪B99999”未登记"
    assert "经纬度不合理" in body["refused"][1]["message"]
    assert await Position.all().count() == 1


async def test_a_retried_batch_stores_nothing_more(client, platform):
    at = now() - timedelta(minutes=10)
    batch = [point(at + timedelta(seconds=30 * i)) for i in range(10)]
    first = await send(client, platform, batch)
    again = await send(client, platform, batch)
    assert first.json()["added"] == 10
    assert again.status_code == 200 and again.json()["added"] == 0 and again.json()["duplicates"] == 10
    assert await Position.all().count() == 10


async def test_a_batch_over_a_thousand_is_refused_whole(client, platform):
    at = now() - timedelta(hours=2)
    response = await send(client, platform, [point(at + timedelta(seconds=i)) for i in range(1001)])
    assert response.status_code == 422
    assert await Position.all().count() == 0


async def test_a_device_that_is_not_the_fleet_platform_is_refused(client, fleet_world, runtime):
    kiosk = await _device(runtime, "KIOSK-1", DeviceKind.KIOSK)
    response = await send(client, kiosk, [point(now())])
    assert response.status_code == 403 and response.json()["error"]["code"] == "fleet.device_not_platform"


async def test_an_unsigned_batch_is_refused(client, platform):
    response = await client.post(PATH, json={"positions": [point(now())]})
    assert response.status_code == 401
