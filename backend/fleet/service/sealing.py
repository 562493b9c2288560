"""Sealing periods (封存): spans, usually the statutory holidays, during which the pool is sealed
except the cars marked on duty (值班车). Dispatch refuses other cars in a sealed span unless the
request is an emergency; afterwards a report lists every sealed car that moved anyway.

A period is half-open, [starts_at, ends_at): a trip that ends exactly when the sealing starts, or
starts exactly when it ends, is not inside it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar
from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record, record_many
from backend.core.timeutil import day_start
from backend.core.workdays import is_working_day
from backend.fleet.errors import FleetError
from backend.fleet.models import FlagKind, Position, SealPeriod, SealSource, Trip, TripState, Vehicle
from backend.fleet.service import geo
from backend.fleet.service.flags import raise_flag

MAX_SEAL_DAYS = 31
# Farther than GPS drift of a parked car: a sealed car whose positions spread wider was driven.
MOVED_METRES = 200.0
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def period_view(period: SealPeriod) -> dict:
    return {
        "id": period.id,
        "name": period.name,
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "source": period.source.value,
        "source_label": period.source.label,
    }


def _holiday(day: date) -> str | None:
    """The statutory holiday `day` is part of, in Chinese; None for a plain weekend or a working day."""
    try:
        is_off, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None  # a year the calendar has no data for: no holiday known (see core.workdays)
    return HOLIDAY_NAMES.get(name, "法定节假日") if is_off and name and not is_working_day(day) else None


def holiday_runs(year: int) -> list[tuple[date, date, list[str]]]:
    """(first day off, last day off, holidays) for each run of consecutive days off in `year`
    that holds a statutory holiday; a run crossing the new year belongs to the year it starts in."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        raise FleetError.SEAL_CALENDAR_UNKNOWN.error(year=year) from None
    runs: list[tuple[date, date, list[str]]] = []
    day, last = date(year, 1, 1), date(year, 12, 31)
    while day <= last:
        if is_working_day(day):
            day += timedelta(days=1)
            continue
        first, names = day, []
        while not is_working_day(day):
            if (name := _holiday(day)) and name not in names:
                names.append(name)
            day += timedelta(days=1)
        if names and is_working_day(first - timedelta(days=1)):
            runs.append((first, day - timedelta(days=1), names))
    return runs


async def _overlapping(conn: Any, starts_at: datetime, ends_at: datetime) -> SealPeriod | None:
    return (
        await SealPeriod.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .using_db(conn)
        .order_by("starts_at")
        .first()
    )


async def from_calendar(actor: Actor, year: int) -> dict:
    """A period for each holiday run of `year`, from 00:00 of its first day off to 00:00 after
    the last. A run already sealed (by an earlier run of this, or by hand over any part of it) is
    left as it is, so generating twice changes nothing."""
    runs = holiday_runs(year)
    created, kept = [], []
    async with in_transaction() as conn:
        for first, last, names in runs:
            starts_at, ends_at = day_start(first), day_start(last + timedelta(days=1))
            existing = await _overlapping(conn, starts_at, ends_at)
            if existing:
                kept.append(period_view(existing))
                continue
            period = await SealPeriod.create(
                name=f"{year}年{'、'.join(names)}",
                starts_at=starts_at,
                ends_at=ends_at,
                source=SealSource.CALENDAR,
                using_db=conn,
            )
            created.append(period_view(period))
        if created:
            await record_many(
                conn,
                actor,
                "fleet.seal_from_calendar",
                "fleet_seal_period",
                [(p["id"], None, _audited(p)) for p in created],
            )
    return {"created": created, "kept": kept}


def _audited(view: dict) -> dict:
    return {
        "name": view["name"],
        "starts_at": view["starts_at"].isoformat(),
        "ends_at": view["ends_at"].isoformat(),
        "source_label": view["source_label"],
    }


async def add_manual(actor: Actor, name: str, starts_at: datetime, ends_at: datetime) -> dict:
    """A period set by hand; one overlapping another is refused naming it."""
    name = name.strip()
    if not name or len(name) > 50:
        raise FleetError.SEAL_NAME_INVALID.error()
    if ends_at <= starts_at:
        raise FleetError.SEAL_WINDOW_INVALID.error()
    if ends_at - starts_at > timedelta(days=MAX_SEAL_DAYS):
        raise FleetError.SEAL_TOO_LONG.error(days=MAX_SEAL_DAYS)
    async with in_transaction() as conn:
        if existing := await _overlapping(conn, starts_at, ends_at):
            raise FleetError.SEAL_OVERLAPS.error(name=existing.name)
        period = await SealPeriod.create(
            name=name, starts_at=starts_at, ends_at=ends_at, source=SealSource.MANUAL, using_db=conn
        )
        view = period_view(period)
        await record(conn, actor, "fleet.add_seal_period", "fleet_seal_period", period.id, after=_audited(view))
    return view


async def seal_covering(conn: Any, start: datetime, end: datetime) -> SealPeriod | None:
    """The sealing period a trip over [start, end) falls into, if any (half-open on both: the
    trip must share an instant with the period)."""
    return await _overlapping(conn, start, end)


async def list_periods() -> list[dict]:
    return [period_view(p) for p in await SealPeriod.all().order_by("-starts_at")]


async def get_period(period_id: int) -> SealPeriod:
    period = await SealPeriod.get_or_none(id=period_id)
    if period is None:
        raise FleetError.SEAL_NOT_FOUND.error()
    return period


def spread(points: list[dict]) -> tuple[float, datetime | None]:
    """How far (metres) the car got from where the period found it, and when it was farthest."""
    if not points:
        return 0.0, None
    home = points[0]
    farthest, when = 0.0, None
    for p in points[1:]:
        d = geo.distance_m(home["lat"], home["lng"], p["lat"], p["lng"])
        if d > farthest:
            farthest, when = d, p["at"]
    return farthest, when


async def sealed_moved(period: SealPeriod) -> list[dict]:
    """Every car not on duty that moved during the period: its positions spread more than
    MOVED_METRES, or a trip of it started inside the period. Read only: the report page draws
    it, the daily check raises the flags (`flag_sealed_moved`)."""
    found = []
    for vehicle in await Vehicle.filter(on_duty=False).order_by("plate"):
        points = await (
            Position.filter(vehicle_id=vehicle.id, at__gte=period.starts_at, at__lt=period.ends_at)
            .order_by("at")
            .values("at", "lat", "lng")
        )
        metres, moved_at = spread(points)
        trips = await (
            Trip.filter(vehicle_id=vehicle.id, actual_start__gte=period.starts_at, actual_start__lt=period.ends_at)
            .exclude(state=TripState.CANCELLED)
            .order_by("actual_start")
        )
        if metres <= MOVED_METRES and not trips:
            continue
        reasons = []
        if metres > MOVED_METRES:
            reasons.append(f"定位显示移动约 {metres / 1000:.1f} 公里")
        if trips:
            reasons.append("出车 " + "、".join(f"#{t.id}" for t in trips))
        found.append(
            {
                "vehicle_id": vehicle.id,
                "plate": vehicle.plate,
                "metres": round(metres),
                "trip_ids": [t.id for t in trips],
                "observed_at": min(filter(None, [moved_at, *(t.actual_start for t in trips)])),
                "detail": f"{vehicle.plate} 在封存期“{period.name}”内{'，'.join(reasons)}",
            }
        )
    return found


async def flag_sealed_moved(period: SealPeriod) -> int:
    """A SEALED_MOVED flag for every car `sealed_moved` finds (once per car and period, however
    often it runs); how many cars it found."""
    moved = await sealed_moved(period)
    async with in_transaction() as conn:
        for car in moved:
            await raise_flag(
                conn,
                FlagKind.SEALED_MOVED,
                f"sealed_moved:{period.id}:{car['vehicle_id']}",
                car["detail"],
                car["observed_at"],
                vehicle_id=car["vehicle_id"],
                trip_id=car["trip_ids"][0] if car["trip_ids"] else None,
            )
    return len(moved)
