"""Importing a trip's GPX track: stored once in WGS-84 whatever datum it came in, refused with a
reason when it is not GPX, too big, empty, absurd or of another time, and not stored twice."""

from datetime import datetime, timedelta

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.fleet.models import Datum, Position, PositionSource, TripState
from backend.fleet.service import geo, tracks
from tests.fixtures.fleet import MONDAY, make_request, make_trip
from tests.helpers.gpx import drive as drive_from
from tests.helpers.gpx import gpx

START = MONDAY + timedelta(hours=9)


def drive(n: int = 20, start: datetime = START) -> list[tuple[float, float, datetime]]:
    return drive_from(n, start)


LIMIT = 64 * 1024


@pytest.fixture
async def trip(fleet_world):
    request = await make_request(fleet_world, starts_at=START)
    return await make_trip(
        request,
        fleet_world.sedan,
        fleet_world.driver,
        state=TripState.FINISHED,
        actual_start=START,
        actual_end=START + timedelta(hours=2),
    )


async def test_a_gpx_track_is_stored_for_the_trip_and_its_car_and_audited(trip):
    result = await tracks.import_gpx(CLI_ACTOR, trip.id, gpx(drive()), Datum.WGS84, LIMIT, START)
    assert result == {"points": 20, "added": 20, "ignored": 0}
    rows = await Position.filter(trip_id=trip.id).order_by("at")
    assert len(rows) == 20 and {r.vehicle_id for r in rows} == {trip.vehicle_id}
    assert rows[0].source == PositionSource.GPX and rows[0].datum == Datum.WGS84
    assert (rows[0].lat, rows[0].lng) == (30.27, 120.15)
    assert await AuditEntry.filter(action="fleet.import_track", object_id=str(trip.id)).count() == 1


async def test_a_gcj02_track_is_converted_once_and_reimporting_adds_nothing(trip):
    points = drive(5)
    await tracks.import_gpx(CLI_ACTOR, trip.id, gpx(points), Datum.GCJ02, LIMIT, START)
    again = await tracks.import_gpx(CLI_ACTOR, trip.id, gpx(points), Datum.GCJ02, LIMIT, START)
    assert again == {"points": 5, "added": 0, "ignored": 5}
    rows = await Position.filter(trip_id=trip.id).order_by("at")
    assert len(rows) == 5 and all(r.datum == Datum.GCJ02 for r in rows)
    for row, (lat, lng, _) in zip(rows, points, strict=True):
        assert (row.lat, row.lng) == pytest.approx(geo.gcj02_to_wgs84(lat, lng), abs=1e-9)
        assert geo.distance_m(row.lat, row.lng, lat, lng) > 300  # moved by the offset, once


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"just some text", "不是 XML"),
        (b'<?xml version="1.0"?><kml><Document/></kml>', "不是 GPX"),
        (b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"></gpx>', "没有轨迹点"),
        (gpx([(95.0, 120.15, START)]), "经纬度不合理"),
        (gpx([(30.27, 120.15, START + timedelta(days=3))]), "不在该行程的用车时段内"),
    ],
)
async def test_a_file_that_is_not_a_usable_track_is_refused_saying_why(trip, data, problem):
    with pytest.raises(AppError) as refused:
        await tracks.import_gpx(CLI_ACTOR, trip.id, data, Datum.WGS84, LIMIT, START)
    assert refused.value.code == "fleet.gpx_invalid" and problem in refused.value.message
    assert await Position.all().count() == 0


async def test_a_huge_file_is_refused_before_it_is_parsed(trip):
    huge = gpx(drive()) + b" " * LIMIT
    with pytest.raises(AppError) as refused:
        await tracks.import_gpx(CLI_ACTOR, trip.id, huge, Datum.WGS84, LIMIT, START)
    assert refused.value.code == "fleet.gpx_too_large" and refused.value.status == 413


async def test_the_track_for_display_is_simplified(trip):
    straight = [(30.27 + i * 0.0001, 120.15, START + timedelta(seconds=10 * i)) for i in range(100)]
    await tracks.import_gpx(CLI_ACTOR, trip.id, gpx(straight), Datum.WGS84, LIMIT, START)
    shown = await tracks.track(trip.id)
    assert [(p["lat"], p["lng"]) for p in shown] == [(30.27, 120.15), (straight[-1][0], 120.15)]
