"""Compliance checks (督查) over the fleet's trips and positions, the flags they raise, and their
closing with an explanation. Each check names its finding by a dedupe key, so the daily job run
twice raises nothing new.

The checks and their tolerances:
- OUTSIDE_WINDOW: a trip started more than EARLY_TOLERANCE before its planned start, or still
  out after `blocked_until` (the planned end plus the buffer between trips: the buffer is the
  tolerance for a late return).
- OFF_HOURS: a car that moved at night (22:00–06:00) or on a day off with no trip under way: its
  positions outside any trip spread more than MOVED_METRES within one such stretch. Every trip
  comes from an approved request, so movement with no trip is movement without one.
- LEFT_AREA: on a trip not marked outside the city, the car's positions stayed outside the active
  geofence for at least its dwell minutes in a row; a single stray point (GPS drift) does not.
- SEALED_MOVED: a car not on duty that moved during a sealing period (sealing.sealed_moved).
- ODOMETER_GAP: a trip's start reading more than ODOMETER_GAP_KM above the end reading of the
  same car's previous trip: mileage nobody accounts for."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.core.timeutil import BUSINESS_TZ, day_start
from backend.core.workdays import is_working_day
from backend.fleet.errors import FleetError
from backend.fleet.models import (
    ComplianceFlag,
    FlagKind,
    FlagState,
    Geofence,
    Position,
    SealPeriod,
    Trip,
    TripState,
)
from backend.fleet.service import geo, sealing
from backend.fleet.service.flags import raise_flag

EARLY_TOLERANCE = timedelta(minutes=30)
NIGHT_STARTS, NIGHT_ENDS = time(22, 0), time(6, 0)
MOVED_METRES = sealing.MOVED_METRES
ODOMETER_GAP_KM = 5
MAX_VERTICES = 500
DWELL_RANGE = (1, 120)


def _clock(moment: datetime) -> str:
    return moment.astimezone(BUSINESS_TZ).strftime("%m-%d %H:%M")


# ---- the checks --------------------------------------------------------------------------------


async def check_outside_window(conn: Any, first: datetime, last: datetime, at: datetime) -> int:
    """Trips that started in [first, last) too early, or that came back (or are still out at
    `at`) after their blocked_until."""
    raised = 0
    started = await (
        Trip.filter(actual_start__gte=first, actual_start__lt=last).exclude(state=TripState.CANCELLED).using_db(conn)
    )
    for trip in started:
        if trip.actual_start < trip.planned_start - EARLY_TOLERANCE:
            raised += await raise_flag(
                conn,
                FlagKind.OUTSIDE_WINDOW,
                f"outside_window:{trip.id}:early",
                f"行程 #{trip.id} 于 {_clock(trip.actual_start)} 出车，早于批准时段开始 {_clock(trip.planned_start)}",
                trip.actual_start,
                trip.vehicle_id,
                trip.id,
            )
    returned = await Trip.filter(actual_end__gte=first, actual_end__lt=last, state=TripState.FINISHED).using_db(conn)
    out = await Trip.filter(state=TripState.STARTED, blocked_until__lt=min(last, at)).using_db(conn)
    for trip in [*returned, *out]:
        back = trip.actual_end
        if back is None or back > trip.blocked_until:
            how = f"于 {_clock(back)} 收车" if back else f"至 {_clock(min(last, at))} 仍未收车"
            raised += await raise_flag(
                conn,
                FlagKind.OUTSIDE_WINDOW,
                f"outside_window:{trip.id}:late",
                f"行程 #{trip.id} {how}，超出批准时段（含间隔至 {_clock(trip.blocked_until)}）",
                back or trip.blocked_until,
                trip.vehicle_id,
                trip.id,
            )
    return raised


def off_hours_stretches(day: date) -> list[tuple[datetime, datetime]]:
    """The stretches of `day` a car should not move without a trip: the whole of a day off, and
    the night hours of a working day."""
    start, end = day_start(day), day_start(day + timedelta(days=1))
    if not is_working_day(day):
        return [(start, end)]
    return [
        (start, datetime.combine(day, NIGHT_ENDS, BUSINESS_TZ)),
        (datetime.combine(day, NIGHT_STARTS, BUSINESS_TZ), end),
    ]


def _under_way(trips: list[Trip], at: datetime) -> bool:
    return any(t.actual_start and t.actual_start <= at and (t.actual_end is None or at <= t.actual_end) for t in trips)


async def check_off_hours(conn: Any, day: date) -> int:
    raised = 0
    for first, last in off_hours_stretches(day):
        rows = await (
            Position.filter(at__gte=first, at__lt=last)
            .order_by("vehicle_id", "at")
            .using_db(conn)
            .values("vehicle_id", "vehicle__plate", "at", "lat", "lng")
        )
        by_vehicle: dict[int, list[dict]] = {}
        for row in rows:
            by_vehicle.setdefault(row["vehicle_id"], []).append(row)
        for vehicle_id, points in by_vehicle.items():
            trips = await (
                Trip.filter(vehicle_id=vehicle_id, actual_start__lt=last)
                .exclude(state=TripState.CANCELLED)
                .filter(Q(actual_end__isnull=True) | Q(actual_end__gte=first))
                .using_db(conn)
            )
            loose = [p for p in points if not _under_way(trips, p["at"])]
            metres, moved_at = sealing.spread(loose)
            if metres <= MOVED_METRES or moved_at is None:
                continue
            what = "非工作日" if not is_working_day(day) else "夜间"
            raised += await raise_flag(
                conn,
                FlagKind.OFF_HOURS,
                f"off_hours:{vehicle_id}:{first.isoformat()}",
                f"{points[0]['vehicle__plate']} {what}无行程移动约 {metres / 1000:.1f} 公里（{_clock(moved_at)}）",
                moved_at,
                vehicle_id,
            )
    return raised


def outside_run(points: list[dict], polygon: list, dwell: timedelta) -> datetime | None:
    """When the first stretch of consecutive points outside `polygon` lasting at least `dwell`
    began, if any. A point back inside ends a stretch, so a lone stray point never counts."""
    began: datetime | None = None
    for p in points:
        if geo.contains(polygon, p["lat"], p["lng"]):
            began = None
            continue
        began = began or p["at"]
        if p["at"] - began >= dwell:
            return began
    return None


async def check_left_area(conn: Any, first: datetime, last: datetime) -> int:
    fence = await active_geofence(conn)
    if fence is None:
        return 0
    dwell = timedelta(minutes=fence.dwell_minutes)
    trip_ids = await (
        Position.filter(at__gte=first, at__lt=last, trip_id__not_isnull=True)
        .distinct()
        .using_db(conn)
        .values_list("trip_id", flat=True)
    )
    trips = await (
        Trip.filter(id__in=set(trip_ids), request__outside_city=False).select_related("vehicle").using_db(conn)
    )
    raised = 0
    for trip in trips:
        points = await Position.filter(trip_id=trip.id).order_by("at").using_db(conn).values("at", "lat", "lng")
        began = outside_run(points, fence.polygon, dwell)
        if began is None:
            continue
        raised += await raise_flag(
            conn,
            FlagKind.LEFT_AREA,
            f"left_area:{trip.id}",
            f"行程 #{trip.id}（{trip.vehicle.plate}）自 {_clock(began)} 起驶出“{fence.name}”"
            f"超过 {fence.dwell_minutes} 分钟，该申请未注明出市",
            began,
            trip.vehicle_id,
            trip.id,
        )
    return raised


async def check_odometer_gaps(conn: Any, first: datetime, last: datetime) -> int:
    raised = 0
    started = await (
        Trip.filter(actual_start__gte=first, actual_start__lt=last, start_odometer_km__not_isnull=True)
        .exclude(state=TripState.CANCELLED)
        .select_related("vehicle")
        .using_db(conn)
    )
    for trip in started:
        previous = await (
            Trip.filter(
                vehicle_id=trip.vehicle_id,
                state=TripState.FINISHED,
                actual_end__lte=trip.actual_start,
                end_odometer_km__not_isnull=True,
            )
            .exclude(id=trip.id)
            .order_by("-actual_end")
            .using_db(conn)
            .first()
        )
        if previous is None:
            continue
        gap = trip.start_odometer_km - previous.end_odometer_km
        if gap > ODOMETER_GAP_KM:
            raised += await raise_flag(
                conn,
                FlagKind.ODOMETER_GAP,
                f"odometer_gap:{trip.id}",
                f"{trip.vehicle.plate} 行程 #{trip.id} 出车读数 {trip.start_odometer_km} 公里，"
                f"比上一行程 #{previous.id} 收车读数 {previous.end_odometer_km} 公里多 {gap} 公里，里程不明",
                trip.actual_start,
                trip.vehicle_id,
                trip.id,
            )
    return raised


async def check_sealed_moved(first: datetime, last: datetime) -> int:
    periods = await SealPeriod.filter(starts_at__lt=last, ends_at__gt=first)
    before = await ComplianceFlag.filter(kind=FlagKind.SEALED_MOVED).count()
    for period in periods:
        await sealing.flag_sealed_moved(period)
    return await ComplianceFlag.filter(kind=FlagKind.SEALED_MOVED).count() - before


async def run_daily_checks(day: date, at: datetime) -> dict[str, int]:
    """Every check over `day` (a business day); how many new flags each raised."""
    first, last = day_start(day), day_start(day + timedelta(days=1))
    async with in_transaction() as conn:
        raised = {
            FlagKind.OUTSIDE_WINDOW.value: await check_outside_window(conn, first, last, at),
            FlagKind.OFF_HOURS.value: await check_off_hours(conn, day),
            FlagKind.LEFT_AREA.value: await check_left_area(conn, first, last),
            FlagKind.ODOMETER_GAP.value: await check_odometer_gaps(conn, first, last),
        }
    raised[FlagKind.SEALED_MOVED.value] = await check_sealed_moved(first, last)
    return raised


# ---- flags -------------------------------------------------------------------------------------


def flag_view(flag: ComplianceFlag) -> dict:
    return {
        "id": flag.id,
        "kind": flag.kind.value,
        "kind_label": flag.kind.label,
        "plate": flag.vehicle.plate if flag.vehicle_id and flag.vehicle else "",
        "trip_id": flag.trip_id,
        "detail": flag.detail,
        "observed_at": flag.observed_at,
        "state": flag.state.value,
        "state_label": flag.state.label,
        "explanation": flag.explanation,
        "closed_at": flag.closed_at,
    }


def flags_query(kind: str = "", state: str = "", since: datetime | None = None, until: datetime | None = None):
    query = ComplianceFlag.all().select_related("vehicle")
    if kind:
        query = query.filter(kind=kind)
    if state:
        query = query.filter(state=state)
    if since:
        query = query.filter(observed_at__gte=since)
    if until:
        query = query.filter(observed_at__lt=until)
    return query


async def flags_of_trip(trip_id: int) -> list[dict]:
    return [flag_view(f) for f in await flags_query().filter(trip_id=trip_id).order_by("observed_at")]


async def close_flag(actor: Actor, flag_id: int, explanation: str, at: datetime) -> dict:
    """Close a flag with the admin's explanation (情况说明); a closed flag stays closed."""
    explanation = explanation.strip()
    if not explanation:
        raise FleetError.EXPLANATION_REQUIRED.error()
    async with in_transaction() as conn:
        flag = await ComplianceFlag.get_or_none(id=flag_id).using_db(conn)
        if flag is None:
            raise FleetError.FLAG_NOT_FOUND.error()
        # Conditional on still being open: of two admins closing at once, one wins.
        closed = await (
            ComplianceFlag.filter(id=flag_id, state=FlagState.OPEN)
            .using_db(conn)
            .update(state=FlagState.CLOSED, explanation=explanation[:500], closed_by_id=actor.admin_id, closed_at=at)
        )
        if not closed:
            raise FleetError.FLAG_CLOSED.error()
        await record(
            conn,
            actor,
            "fleet.close_flag",
            "fleet_flag",
            flag_id,
            before={"state": FlagState.OPEN.value, "state_label": FlagState.OPEN.label},
            after={
                "state": FlagState.CLOSED.value,
                "state_label": FlagState.CLOSED.label,
                "explanation": explanation[:500],
            },
        )
    return {"id": flag_id, "state": FlagState.CLOSED.value}


async def open_flag_count() -> int:
    return await ComplianceFlag.filter(state=FlagState.OPEN).count()


async def open_flags_by_kind() -> dict[str, int]:
    rows = await (
        ComplianceFlag.filter(state=FlagState.OPEN).annotate(n=Count("id")).group_by("kind").values("kind", "n")
    )
    return {FlagKind(row["kind"]).value: row["n"] for row in rows}


# ---- the geofence ------------------------------------------------------------------------------


async def active_geofence(conn: Any = None) -> Geofence | None:
    query = Geofence.filter(is_active=True).order_by("id")
    return await (query.using_db(conn) if conn else query).first()


def _fence_invalid(problem: str):
    return FleetError.GEOFENCE_INVALID.error(problem=problem)


def parse_polygon(text: str) -> list[list[float]]:
    """Vertices typed as JSON ([[lng, lat], ...]) or one "lng,lat" per line, checked."""
    text = text.strip()
    if not text:
        raise _fence_invalid("请填写多边形顶点")
    if text.startswith("["):
        try:
            raw = json.loads(text)
        except ValueError:
            raise _fence_invalid("JSON 格式不正确") from None
    else:
        raw = [line.replace("，", ",").split(",") for line in text.splitlines() if line.strip()]
    return check_polygon(raw)


def check_polygon(raw: Any) -> list[list[float]]:
    if not isinstance(raw, list):
        raise _fence_invalid("顶点应为 [经度, 纬度] 的列表")
    vertices = []
    for number, vertex in enumerate(raw, 1):
        try:
            lng, lat = (float(v) for v in vertex)
        except (TypeError, ValueError):
            raise _fence_invalid(f"第 {number} 个顶点应为“经度,纬度”两个数") from None
        if not geo.plausible(lat, lng):
            raise _fence_invalid(f"第 {number} 个顶点的经纬度不合理（经度 −180–180，纬度 −90–90）")
        vertices.append([lng, lat])
    if len(vertices) > 1 and vertices[0] == vertices[-1]:
        vertices.pop()
    if len({tuple(v) for v in vertices}) < 3:
        raise _fence_invalid("至少需要 3 个不同的顶点")
    if len(vertices) > MAX_VERTICES:
        raise _fence_invalid(f"顶点不能超过 {MAX_VERTICES} 个")
    return vertices


async def save_geofence(actor: Actor, name: str, polygon: list[list[float]], dwell_minutes: int) -> dict:
    """Set the approved area (one active fence: saving replaces its shape)."""
    name = name.strip()
    if not name or len(name) > 50:
        raise _fence_invalid("请填写围栏名称（不超过 50 字）")
    polygon = check_polygon(polygon)
    low, high = DWELL_RANGE
    if not low <= dwell_minutes <= high:
        raise _fence_invalid(f"停留时间应为 {low}–{high} 分钟")
    async with in_transaction() as conn:
        fence = await active_geofence(conn)
        after = {"name": name, "vertices": len(polygon), "dwell_minutes": dwell_minutes}
        if fence is None:
            fence = await Geofence.create(name=name, polygon=polygon, dwell_minutes=dwell_minutes, using_db=conn)
            before = None
        else:
            before = {"name": fence.name, "vertices": len(fence.polygon), "dwell_minutes": fence.dwell_minutes}
            await (
                Geofence.filter(id=fence.id)
                .using_db(conn)
                .update(name=name, polygon=polygon, dwell_minutes=dwell_minutes)
            )
        await record(conn, actor, "fleet.save_geofence", "fleet_geofence", fence.id, before=before, after=after)
    return {"id": fence.id, **after, "polygon": polygon}
