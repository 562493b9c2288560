"""The dispatch board (调度看板): a day or a week of trips per vehicle, as a timeline.

A page of vehicles (filtered by type and home) and the trips holding them in the range are read
in one query each, whatever the size of the fleet, and each trip is placed as a bar by the share
of the range it covers, so the page draws it with CSS percentages and no script."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backend.core.pagination import paginate
from backend.core.timeutil import BUSINESS_TZ, day_start
from backend.fleet.models import Trip, Vehicle, VehicleType
from backend.fleet.service.dispatch import late_return_trip_ids, live_trips

VEHICLES_PER_PAGE = 50
POOL = "pool"  # the home filter's value for the central pool (集中管理)


@dataclass(frozen=True)
class Bar:
    trip_id: int
    request_id: int
    state: str
    state_label: str
    left: float  # percent of the range from its start
    width: float  # percent of the range, the buffer included
    buffer_width: float  # the part of `width` that is the buffer after the planned end
    label: str
    title: str
    late_return: bool  # an open late-return flag names this trip: the car or driver may not be back


@dataclass(frozen=True)
class Row:
    vehicle_id: int
    plate: str
    vehicle_type_label: str
    seats: int
    new_energy: bool
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Board:
    start: datetime
    end: datetime
    rows: tuple[Row, ...]
    total: int
    page: int
    pages: int
    ticks: tuple[tuple[float, str], ...]  # (percent, label) along the time axis


def _range(day: date, week: bool) -> tuple[datetime, datetime]:
    first = day - timedelta(days=day.weekday()) if week else day
    return day_start(first), day_start(first + timedelta(days=7 if week else 1))


def _ticks(start: datetime, end: datetime, week: bool) -> tuple[tuple[float, str], ...]:
    span = (end - start).total_seconds()
    step = timedelta(days=1) if week else timedelta(hours=3)
    ticks, moment = [], start
    while moment < end:
        local = moment.astimezone(BUSINESS_TZ)
        text = f"{local:%m-%d} 周{'一二三四五六日'[local.weekday()]}" if week else f"{local:%H:%M}"
        ticks.append((round((moment - start).total_seconds() / span * 100, 3), text))
        moment += step
    return tuple(ticks)


def _bar(trip: Trip, start: datetime, end: datetime, flagged: set[int]) -> Bar:
    span = (end - start).total_seconds()

    def at(moment: datetime) -> float:
        return min(max((moment - start).total_seconds() / span * 100, 0.0), 100.0)

    left, planned_end, held_end = at(trip.planned_start), at(trip.planned_end), at(trip.blocked_until)
    clock = "%m-%d %H:%M"
    driver = trip.driver.person.name if trip.driver else ""
    times = f"{trip.planned_start.astimezone(BUSINESS_TZ):{clock}}–{trip.planned_end.astimezone(BUSINESS_TZ):{clock}}"
    return Bar(
        trip_id=trip.id,
        request_id=trip.request_id,
        state=trip.state.value,
        state_label=trip.state.label,
        left=round(left, 3),
        width=round(max(held_end - left, 0.2), 3),
        buffer_width=round(held_end - planned_end, 3),
        label=driver or f"#{trip.id}",
        title=f"行程 #{trip.id} {trip.state.label} {times} {driver}".strip(),
        late_return=trip.id in flagged,
    )


async def board(day: date, *, week: bool, vehicle_type: VehicleType | None, home: str, page: int) -> Board:
    """The vehicles of `page` (by plate; `home` is POOL, a unit id as text, or "" for all) and
    their live trips in the day, or the Monday-to-Sunday week, of `day`."""
    start, end = _range(day, week)
    vehicles = Vehicle.all()
    if vehicle_type is not None:
        vehicles = vehicles.filter(vehicle_type=vehicle_type)
    if home == POOL:
        vehicles = vehicles.filter(home_unit_id__isnull=True)
    elif home.isdigit():
        vehicles = vehicles.filter(home_unit_id=int(home))
    found = await paginate(vehicles, page, VEHICLES_PER_PAGE, order_by=("plate",))
    ids = [v.id for v in found.items]
    trips = (
        await live_trips()
        .filter(vehicle_id__in=ids, planned_start__lt=end, blocked_until__gt=start)
        .select_related("driver__person")
        .order_by("planned_start")
        if ids
        else []
    )
    flagged = await late_return_trip_ids([t.id for t in trips]) if trips else set()
    by_vehicle: dict[int, list[Bar]] = {}
    for trip in trips:
        by_vehicle.setdefault(trip.vehicle_id, []).append(_bar(trip, start, end, flagged))
    rows = tuple(
        Row(v.id, v.plate, v.vehicle_type.label, v.seats, v.new_energy, tuple(by_vehicle.get(v.id, ())))
        for v in found.items
    )
    return Board(
        start=start,
        end=end,
        rows=rows,
        total=found.total,
        page=found.page,
        pages=max(1, -(-found.total // VEHICLES_PER_PAGE)),
        ticks=_ticks(start, end, week),
    )
