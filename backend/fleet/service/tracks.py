"""Positions of the fleet's cars and the tracks drawn from them: a trip's GPX file imported by an
admin, and batches from the vehicle-terminal platform (车载终端平台) over the signed device API.

Every position is stored once in WGS-84: a point that came in GCJ-02 is converted on the way in
and its `datum` remembers which it was, so nothing downstream converts twice. A vehicle has one
position per instant (unique (vehicle, at)), which makes a re-sent batch or a re-imported file
add nothing."""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import gpxpy
import gpxpy.gpx
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.fleet.errors import FleetError
from backend.fleet.models import Datum, Position, PositionSource, Trip, TripState, Vehicle
from backend.fleet.service import geo

MAX_BATCH = 1000
# A GPX recorder often runs a little before the driver records the start and after the finish;
# anything further out than this belongs to another trip (the wrong file chosen).
GPX_WINDOW_MARGIN = timedelta(hours=1)
# Terminal platforms buffer while a car is out of coverage; a point from the future is a clock error.
FUTURE_SKEW = timedelta(minutes=5)
MAX_SPEED_KMH = 300.0
SIMPLIFY_TOLERANCE_M = 10.0


@dataclass(frozen=True)
class Point:
    """A position as received: coordinates in `datum`."""

    at: datetime
    lat: float
    lng: float
    datum: Datum
    speed_kmh: float | None = None


def to_wgs84(point: Point) -> tuple[float, float]:
    if point.datum == Datum.GCJ02:
        return geo.gcj02_to_wgs84(point.lat, point.lng)
    return point.lat, point.lng


def _gpx_invalid(problem: str) -> AppError:
    return FleetError.GPX_INVALID.error(problem=problem)


def _root_name(data: bytes) -> str:
    """The name of the document's root element, read without parsing the rest (gpxpy takes any
    root); a file that is not XML at all is refused here."""
    try:
        for _, element in ElementTree.iterparse(io.BytesIO(data), events=("start",)):
            return element.tag.rpartition("}")[2]
    except ElementTree.ParseError:
        pass
    raise _gpx_invalid("文件不是 XML 格式")


def parse_gpx(data: bytes, datum: Datum, max_bytes: int) -> list[Point]:
    """The timed points of a GPX file's tracks (or, without tracks, its routes), checked."""
    if len(data) > max_bytes:
        raise FleetError.GPX_TOO_LARGE.error(most=f"{max_bytes / (1024 * 1024):g}")
    if _root_name(data) != "gpx":
        raise _gpx_invalid("文件不是 GPX 格式（根元素应为 gpx）")
    try:
        parsed = gpxpy.parse(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _gpx_invalid("文件不是 UTF-8 编码的文本") from None
    except gpxpy.gpx.GPXXMLSyntaxException:
        raise _gpx_invalid("文件不是 XML 格式") from None
    except gpxpy.gpx.GPXException:
        raise _gpx_invalid("文件不是 GPX 格式（根元素应为 gpx）") from None
    except ValueError:
        raise _gpx_invalid("文件内容无法解析") from None
    raw = [p for track in parsed.tracks for segment in track.segments for p in segment.points]
    if not raw:
        raw = [p for route in parsed.routes for p in route.points]
    if not raw:
        raise _gpx_invalid("文件中没有轨迹点")
    points = []
    for number, p in enumerate(raw, 1):
        if p.latitude is None or p.longitude is None or not geo.plausible(p.latitude, p.longitude):
            raise _gpx_invalid(f"第 {number} 个轨迹点的经纬度不合理")
        if p.time is None:
            raise _gpx_invalid(f"第 {number} 个轨迹点没有时间")
        # GPX times are UTC; a time written without a zone means UTC too.
        at = p.time if p.time.tzinfo else p.time.replace(tzinfo=UTC)
        speed = p.speed * 3.6 if p.speed is not None and math.isfinite(p.speed) and p.speed >= 0 else None
        points.append(Point(at, p.latitude, p.longitude, datum, speed))
    return points


def _trip_window(trip: Trip, at: datetime) -> tuple[datetime, datetime]:
    """When the trip ran (its plan, before it started), widened by the GPX margin."""
    start = trip.actual_start or trip.planned_start
    end = trip.actual_end or (at if trip.state == TripState.STARTED else trip.blocked_until)
    return start - GPX_WINDOW_MARGIN, max(end, start) + GPX_WINDOW_MARGIN


def _rows(vehicle_id: int, trip_id: int | None, points: Iterable[Point], source: PositionSource) -> list[Position]:
    rows = []
    for p in points:
        lat, lng = to_wgs84(p)
        rows.append(
            Position(
                vehicle_id=vehicle_id,
                trip_id=trip_id,
                at=p.at,
                lat=lat,
                lng=lng,
                speed_kmh=p.speed_kmh,
                datum=p.datum,
                source=source,
            )
        )
    return rows


async def _store(conn: Any, vehicle_id: int, rows: list[Position]) -> int:
    """Insert the positions this vehicle has no position for at that instant yet; how many.
    Duplicates inside `rows` keep the first."""
    if not rows:
        return 0
    existing = set(
        await Position.filter(vehicle_id=vehicle_id, at__gte=min(r.at for r in rows), at__lte=max(r.at for r in rows))
        .using_db(conn)
        .values_list("at", flat=True)
    )
    fresh: dict[datetime, Position] = {}
    for row in rows:
        if row.at not in existing and row.at not in fresh:
            fresh[row.at] = row
    # ignore_conflicts: a batch racing this one for the same instants adds each only once.
    await Position.bulk_create(list(fresh.values()), batch_size=500, ignore_conflicts=True, using_db=conn)
    return len(fresh)


async def import_gpx(actor: Actor, trip_id: int, data: bytes, datum: Datum, max_bytes: int, at: datetime) -> dict:
    """Store a trip's track from a GPX file whose coordinates are in `datum`. Answers how many
    points were added and how many the trip's car already had (a file imported twice adds none)."""
    points = parse_gpx(data, datum, max_bytes)
    async with in_transaction() as conn:
        trip = await Trip.get_or_none(id=trip_id).using_db(conn)
        if trip is None:
            raise FleetError.TRIP_NOT_FOUND.error()
        if trip.vehicle_id is None:
            raise FleetError.TRACK_NEEDS_VEHICLE.error()
        first, last = _trip_window(trip, at)
        outside = sum(1 for p in points if not first <= p.at <= last)
        if outside:
            raise _gpx_invalid(f"有 {outside} 个轨迹点的时间不在该行程的用车时段内，可能选错了文件")
        added = await _store(conn, trip.vehicle_id, _rows(trip.vehicle_id, trip.id, points, PositionSource.GPX))
        result = {"points": len(points), "added": added, "ignored": len(points) - added}
        await record(conn, actor, "fleet.import_track", "fleet_trip", trip.id, after={**result, "datum": datum.value})
    return result


@dataclass(frozen=True)
class TerminalPosition:
    """One position as the terminal platform sends it."""

    plate: str
    at: datetime
    lat: float
    lng: float
    speed_kmh: float | None = None
    datum: Datum = Datum.WGS84


def _problem(p: TerminalPosition, plates: dict[str, int], at: datetime) -> str | None:
    if p.plate not in plates:
        return f"车牌号“{p.plate}”未登记"
    if p.at.tzinfo is None:
        return "定位时间缺少时区"
    if p.at > at + FUTURE_SKEW:
        return "定位时间晚于当前时间"
    if not geo.plausible(p.lat, p.lng):
        return "经纬度不合理"
    if p.speed_kmh is not None and not (math.isfinite(p.speed_kmh) and 0 <= p.speed_kmh <= MAX_SPEED_KMH):
        return f"车速应在 0–{MAX_SPEED_KMH:g} 公里/小时之间"
    return None


def _running(trips: Sequence[Trip], at: datetime) -> int | None:
    """The trip of these (one vehicle's) that was under way at `at`."""
    for trip in trips:
        if trip.actual_start and trip.actual_start <= at and (trip.actual_end is None or at <= trip.actual_end):
            return trip.id
    return None


async def receive_positions(positions: Sequence[TerminalPosition], at: datetime) -> dict:
    """Store a batch from the terminal platform. Each position is checked on its own: one the
    platform cannot fix (a car that is not ours) must not hold back the rest, so the valid ones
    are stored and the answer names each refused one by its index (counted from 0; the message
    counts from 1). Each is attached to its car's trip under way at that moment, if any. A batch
    sent again stores nothing more."""
    plates = dict(
        await Vehicle.filter(plate__in={p.plate for p in positions}).values_list("plate", "id")  # type: ignore[arg-type]
    )
    refused, accepted = [], []
    for index, p in enumerate(positions):
        problem = _problem(p, plates, at)
        if problem:
            error = FleetError.POSITIONS_INVALID.error(index=index + 1, problem=problem)
            refused.append({"index": index, "code": error.code, "message": error.message})
        else:
            accepted.append(p)
    by_vehicle: dict[int, list[TerminalPosition]] = {}
    for p in accepted:
        by_vehicle.setdefault(plates[p.plate], []).append(p)
    added = 0
    async with in_transaction() as conn:
        for vehicle_id, mine in sorted(by_vehicle.items()):
            first, last = min(p.at for p in mine), max(p.at for p in mine)
            trips = await (
                Trip.filter(vehicle_id=vehicle_id, actual_start__lte=last)
                .exclude(state=TripState.CANCELLED)
                .filter(Q(actual_end__isnull=True) | Q(actual_end__gte=first))
                .using_db(conn)
            )
            rows = []
            for p in mine:
                point = Point(p.at, p.lat, p.lng, p.datum, p.speed_kmh)
                rows += _rows(vehicle_id, _running(trips, p.at), [point], PositionSource.TERMINAL)
            added += await _store(conn, vehicle_id, rows)
    return {"received": len(positions), "added": added, "duplicates": len(accepted) - added, "refused": refused}


async def track(trip_id: int, tolerance_m: float = SIMPLIFY_TOLERANCE_M) -> list[dict]:
    """The trip's track for display, simplified: every dropped point lies within `tolerance_m`
    of the line drawn."""
    rows = await Position.filter(trip_id=trip_id).order_by("at").values("at", "lat", "lng", "speed_kmh")
    kept = geo.simplify([(r["lat"], r["lng"]) for r in rows], tolerance_m)
    return [rows[i] for i in kept]


async def positions_between(vehicle_id: int, first: datetime, last: datetime) -> list[dict]:
    """A vehicle's positions with first <= at < last, in time order."""
    return await (
        Position.filter(vehicle_id=vehicle_id, at__gte=first, at__lt=last)
        .order_by("at")
        .values("at", "lat", "lng", "trip_id")
    )


async def trip_summary(trip_id: int) -> dict:
    """What the trip page shows of a trip: its request, car, driver, plan and what happened."""
    trip = await Trip.get_or_none(id=trip_id).select_related(
        "request", "request__unit", "request__requester", "vehicle", "driver", "driver__person", "rental_company"
    )
    if trip is None:
        raise FleetError.TRIP_NOT_FOUND.error()
    request = trip.request
    km = (
        trip.end_odometer_km - trip.start_odometer_km
        if trip.end_odometer_km is not None and trip.start_odometer_km is not None
        else None
    )
    return {
        "id": trip.id,
        "state_label": trip.state.label,
        "request": {
            "id": request.id,
            "unit": request.unit.name,
            "requester": request.requester.name,
            "purpose": request.purpose.label,
            "reason": request.reason,
            "passengers": request.passengers,
            "pickup": request.pickup,
            "destination": request.destination,
            "outside_city": request.outside_city,
        },
        "vehicle": trip.vehicle.plate if trip.vehicle else "",
        "rental": f"{trip.rental_company.name} {trip.rental_plate}".strip() if trip.rental_company else "",
        "driver": trip.driver.person.name if trip.driver else "",
        "has_vehicle": trip.vehicle_id is not None,
        "planned_start": trip.planned_start,
        "planned_end": trip.planned_end,
        "blocked_until": trip.blocked_until,
        "actual_start": trip.actual_start,
        "actual_end": trip.actual_end,
        "start_odometer_km": trip.start_odometer_km,
        "end_odometer_km": trip.end_odometer_km,
        "km": km,
        "costs": {
            "toll_fen": trip.toll_fen,
            "parking_fen": trip.parking_fen,
            "fuel_fen": trip.fuel_fen,
            "overtime_fen": trip.overtime_fen,
            "cost_fen": trip.cost_fen,
        },
    }
