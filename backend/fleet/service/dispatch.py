"""Dispatching a car request (派车): an approved request gets a trip, with a vehicle and a driver
of the fleet or with a rental company (社会租赁); a dispatch can be cancelled or reassigned while
the trip has not started; a late return that runs into the next trip is flagged at once.

No vehicle and no driver holds two trips at once. A trip holds them over the half-open range
[planned_start, blocked_until), its planned window plus the buffer between trips, so a trip may
start exactly when the buffered previous one ends; cancelled trips hold nothing.

- On PostgreSQL the database refuses an overlap: exclusion constraints over those ranges, one
  per vehicle and one per driver, refuse an insert even against a concurrent transaction that
  has not committed yet (the insert waits for it). The service does not check first (a query
  fewer for every dispatch that succeeds): when the constraint refuses, the trip in the way has
  committed, and once the refused transaction is rolled back it is looked up and named.
- On SQLite, which has no such constraint, the check is the rule: the transaction's first
  statement is a write, so it holds SQLite's write lock (BEGIN IMMEDIATE's effect) from before
  the check until the insert commits, and no other writer can come between them.

Each dispatch form carries a key (Trip.dispatch_key): the same key again, a double click or a
retry after a timeout, gets the first trip back, never a second. Dispatches of one request queue
on its row lock, so of two dispatchers acting at once the second finds it dispatched.

What the requester and the driver are told about a dispatch is sent by the caller, from the
TripView returned (a replayed one was told already).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.core import idempotency, sql
from backend.core.audit import Actor, record
from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.errors import FleetError
from backend.fleet.models import (
    ComplianceFlag,
    Driver,
    DriverLeave,
    FlagKind,
    FlagState,
    RentalCompany,
    RentalRate,
    RequestState,
    Trip,
    TripRequest,
    TripState,
    Vehicle,
    VehicleStatus,
    VehicleType,
)
from backend.fleet.service import notices, records, sealing
from backend.fleet.service.flags import raise_flag

VEHICLE_OVERLAP = "fleet_trip_vehicle_no_overlap"
DRIVER_OVERLAP = "fleet_trip_driver_no_overlap"
# A dispatch refused by the constraint looks up the trip that won; if that trip was cancelled
# in the meantime there is nothing in the way any more, and the dispatch is tried again.
ATTEMPTS = 3
KEY_LENGTHS = range(8, 101)


@dataclass(frozen=True)
class TripView:
    """A dispatched trip as the dispatcher, the requester and the driver are told of it."""

    id: int
    request_id: int
    state: str
    state_label: str
    vehicle_id: int | None
    plate: str
    driver_id: int | None
    driver_name: str
    driver_person_id: int | None
    rental_company_id: int | None
    rental_company: str
    rental_vehicle_type: str | None
    planned_start: datetime
    planned_end: datetime
    blocked_until: datetime
    replayed: bool = False

    def audited(self) -> dict:
        """What the audit log keeps of a dispatch."""
        return {
            "request_id": self.request_id,
            "state": self.state,
            "state_label": self.state_label,
            "plate": self.plate,
            "driver": self.driver_name,
            "rental_company": self.rental_company,
            "rental_vehicle_type": self.rental_vehicle_type,
            "planned_start": _clock(self.planned_start),
            "planned_end": _clock(self.planned_end),
            "blocked_until": _clock(self.blocked_until),
        }


def _clock(moment: datetime) -> str:
    return moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def _day(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def _view(
    trip: Trip,
    vehicle: Vehicle | None,
    driver: Driver | None,
    company: RentalCompany | None,
    *,
    replayed: bool = False,
) -> TripView:
    """The view of `trip` with its vehicle, driver (its person loaded) and rental company."""
    return TripView(
        id=trip.id,
        request_id=trip.request_id,
        state=trip.state.value,
        state_label=trip.state.label,
        vehicle_id=trip.vehicle_id,
        plate=vehicle.plate if vehicle else trip.rental_plate,
        driver_id=trip.driver_id,
        driver_name=driver.person.name if driver else "",
        driver_person_id=driver.person_id if driver else None,
        rental_company_id=trip.rental_company_id,
        rental_company=company.name if company else "",
        rental_vehicle_type=trip.rental_vehicle_type.value if trip.rental_vehicle_type else None,
        planned_start=trip.planned_start,
        planned_end=trip.planned_end,
        blocked_until=trip.blocked_until,
        replayed=replayed,
    )


async def trip_view(trip_id: int, conn: Any = None, *, replayed: bool = False) -> TripView:
    trip = (
        await Trip.filter(id=trip_id).using_db(conn).select_related("vehicle", "driver__person", "rental_company").get()
    )
    return _view(trip, trip.vehicle, trip.driver, trip.rental_company, replayed=replayed)


async def request_of_trip(trip_id: int) -> int:
    """The id of the request a trip was dispatched for."""
    request_id = await Trip.filter(id=trip_id).first().values_list("request_id", flat=True)
    if request_id is None:
        raise FleetError.TRIP_NOT_FOUND.error()
    return request_id


def live_trips() -> QuerySet[Trip]:
    """Trips that hold their vehicle and driver: every one but the cancelled."""
    return Trip.exclude(state=TripState.CANCELLED)


def holding(start: datetime, blocked_until: datetime) -> QuerySet[Trip]:
    """Live trips whose held range meets [start, blocked_until): the half-open overlap rule."""
    return live_trips().filter(planned_start__lt=blocked_until, blocked_until__gt=start)


# ---- the overlap rule --------------------------------------------------------------------------


def _busy_error(trip: Trip, vehicle: bool) -> Exception:
    details = {
        "trip_id": trip.id,
        "planned_start": trip.planned_start.isoformat(),
        "blocked_until": trip.blocked_until.isoformat(),
    }
    times = {"trip_id": trip.id, "starts": _clock(trip.planned_start), "ends": _clock(trip.blocked_until)}
    if vehicle:
        return FleetError.VEHICLE_BUSY.error(details, plate=trip.vehicle.plate, **times)
    return FleetError.DRIVER_BUSY.error(details, name=trip.driver.person.name, **times)


async def _refuse_overlap(
    conn: Any,
    vehicle_id: int | None,
    driver_id: int | None,
    start: datetime,
    blocked_until: datetime,
    ignoring: int | None = None,
) -> None:
    """Refuse, naming the trip, if the vehicle or the driver is held over any of the range (the
    trip `ignoring` aside)."""
    held_by = [Q(vehicle_id=vehicle_id)] if vehicle_id else []
    if driver_id:
        held_by.append(Q(driver_id=driver_id))
    if not held_by:
        return
    found = (
        await holding(start, blocked_until)
        .filter(Q(*held_by, join_type="OR"))
        .exclude(id=ignoring or 0)
        .using_db(conn)
        .select_related("vehicle", "driver__person")
        .order_by("planned_start", "id")
    )
    for trip in found:
        if vehicle_id and trip.vehicle_id == vehicle_id:
            raise _busy_error(trip, vehicle=True)
    for trip in found:
        raise _busy_error(trip, vehicle=False)


def _overlap_constraint(error: IntegrityError) -> str | None:
    """Which exclusion constraint refused an insert, if one did (asyncpg names it)."""
    cause = error.args[0] if error.args else None
    name = getattr(cause, "constraint_name", None)
    return name if name in (VEHICLE_OVERLAP, DRIVER_OVERLAP) else None


# ---- checks of a fleet dispatch ----------------------------------------------------------------


async def _check_fleet(
    conn: Any, request: TripRequest, vehicle: Vehicle, driver: Driver, start: datetime, end: datetime
) -> None:
    """Everything but the overlap that refuses this vehicle and driver for [start, end)."""
    last_day = _day(end)
    if vehicle.status != VehicleStatus.IN_USE:
        raise FleetError.VEHICLE_UNAVAILABLE.error(plate=vehicle.plate, status=vehicle.status.label)
    if vehicle.inspection_due is not None and vehicle.inspection_due < last_day:
        raise FleetError.INSPECTION_OVERDUE.error(plate=vehicle.plate, day=vehicle.inspection_due.isoformat())
    # Seats are 核载人数, the driver's included: a 5-seat car takes four passengers.
    if request.passengers > vehicle.seats - 1:
        raise FleetError.PASSENGERS_OVER_SEATS.error(
            passengers=request.passengers, plate=vehicle.plate, seats=vehicle.seats - 1
        )
    name = driver.person.name
    if not driver.is_active:
        raise FleetError.DRIVER_INACTIVE.error(name=name)
    if driver.licence_expires < last_day:
        raise FleetError.LICENCE_EXPIRED.error(name=name, day=driver.licence_expires.isoformat())
    if not records.licence_fits(driver.licence_class, vehicle.vehicle_type, vehicle.seats):
        raise FleetError.LICENCE_UNFIT.error(
            name=name, licence=driver.licence_class.value, vehicle_type=vehicle.vehicle_type.label
        )
    leave = await DriverLeave.filter(driver_id=driver.id, starts_at__lt=end, ends_at__gt=start).using_db(conn).first()
    if leave is not None:
        raise FleetError.DRIVER_ON_LEAVE.error(name=name, reason=leave.reason or "请假")
    if not vehicle.on_duty and (seal := await sealing.seal_covering(conn, start, end)) is not None:
        raise FleetError.SEALED_PERIOD.error(name=seal.name, plate=vehicle.plate)


@dataclass(frozen=True)
class Target:
    """Whom a request is dispatched to: a vehicle and a driver, or a rental company."""

    vehicle_id: int | None = None
    driver_id: int | None = None
    rental_company_id: int | None = None
    rental_vehicle_type: VehicleType | None = None
    rental_plate: str = ""

    def checked(self) -> Target:
        fleet = self.vehicle_id is not None and self.driver_id is not None
        partly_fleet = self.vehicle_id is not None or self.driver_id is not None
        rental = self.rental_company_id is not None and self.rental_vehicle_type is not None
        if fleet == rental or (rental and partly_fleet):
            raise FleetError.DISPATCH_TARGET.error()
        plate = self.rental_plate.strip().upper()
        if len(plate) > 8:
            raise FleetError.RENTAL_PLATE_INVALID.error()
        return Target(self.vehicle_id, self.driver_id, self.rental_company_id, self.rental_vehicle_type, plate)


@dataclass
class Attempt:
    """What a dispatch tried to hold, to name what refused it after its transaction is gone."""

    vehicle_id: int | None = None
    driver_id: int | None = None
    start: datetime | None = None
    blocked_until: datetime | None = None
    replacing: int | None = None  # a reassigned trip, cancelled by the transaction that was refused


async def _place(
    conn: Any,
    request: TripRequest,
    target: Target,
    key: str,
    at: datetime,
    actor: Actor,
    buffer: timedelta,
    attempt: Attempt,
) -> TripView:
    """The new trip for `request` (its row locked by the caller), every rule checked."""
    start, end = request.starts_at, request.ends_at
    blocked_until = end + buffer
    # In a sealing period (封存期) only a request that went through its emergency step may run,
    # and only on a car on duty (checked with the car) or a rental.
    if not request.emergency and (seal := await sealing.seal_covering(conn, start, end)) is not None:
        raise FleetError.SEALED_NEEDS_EMERGENCY.error(name=seal.name)
    fields: dict[str, Any]
    vehicle: Vehicle | None = None
    driver: Driver | None = None
    company: RentalCompany | None = None
    if target.vehicle_id is not None:
        # The car's row, then the driver's, locked: two dispatches of one car and one driver
        # queue here in the same order. Without it each could insert its trip, then wait on the
        # other's under a different one of the two exclusion constraints: a deadlock.
        vehicle = await Vehicle.filter(id=target.vehicle_id).using_db(conn).select_for_update().get_or_none()
        if vehicle is None:
            raise FleetError.VEHICLE_NOT_FOUND.error()
        driver = (
            await Driver.filter(id=target.driver_id)
            .using_db(conn)
            .select_for_update(of=("fleet_driver",))
            .select_related("person")
            .get_or_none()
        )
        if driver is None:
            raise FleetError.DRIVER_NOT_FOUND.error()
        await _check_fleet(conn, request, vehicle, driver, start, end)
        attempt.vehicle_id, attempt.driver_id, attempt.start, attempt.blocked_until = (
            vehicle.id,
            driver.id,
            start,
            blocked_until,
        )
        if conn.capabilities.dialect == "sqlite":
            await _refuse_overlap(conn, vehicle.id, driver.id, start, blocked_until)
        fields = {"vehicle_id": vehicle.id, "driver_id": driver.id}
    else:
        company = await RentalCompany.get_or_none(id=target.rental_company_id, is_active=True).using_db(conn)
        if company is None:
            raise FleetError.COMPANY_NOT_FOUND.error()
        assert target.rental_vehicle_type is not None
        if (
            not await RentalRate.filter(company_id=company.id, vehicle_type=target.rental_vehicle_type)
            .using_db(conn)
            .exists()
        ):
            raise FleetError.NO_RENTAL_RATE.error(company=company.name, vehicle_type=target.rental_vehicle_type.label)
        fields = {
            "rental_company_id": company.id,
            "rental_vehicle_type": target.rental_vehicle_type,
            "rental_plate": target.rental_plate,
        }
    trip = await Trip.create(
        request_id=request.id,
        planned_start=start,
        planned_end=end,
        blocked_until=blocked_until,
        dispatch_key=key,
        dispatched_by_id=actor.admin_id,
        dispatched_at=at,
        using_db=conn,
        **fields,
    )
    return _view(trip, vehicle, driver, company)


# ---- locking and the key -----------------------------------------------------------------------


async def _lock_request(conn: Any, request_id: int) -> TripRequest:
    """The request's row, locked until the transaction ends. On SQLite, where a row lock is no
    lock, a write first takes the database's write lock (see the module's docstring)."""
    if conn.capabilities.dialect == "sqlite":
        await sql.execute(conn, "UPDATE fleet_request SET state = state WHERE id = $1", request_id)
    request = await TripRequest.filter(id=request_id).using_db(conn).select_for_update().get_or_none()
    if request is None:
        raise FleetError.REQUEST_NOT_FOUND.error()
    return request


def _checked_key(key: str) -> str:
    if len(key) not in KEY_LENGTHS:
        raise FleetError.DISPATCH_KEY_INVALID.error()
    return key


async def _once(act, request_id: int, key: str, attempt: Attempt) -> TripView:
    """Run `act(conn, locked request)` once for `key`: a trip already made with the key (for
    this request) is given back; a refusal by an exclusion constraint names the winning trip."""
    tried = 0
    while True:
        tried += 1
        try:
            return await idempotency.run_once(
                act,
                lock=lambda conn: _lock_request(conn, request_id),
                find=lambda conn: Trip.get_or_none(dispatch_key=key).using_db(conn),
                matches=lambda trip: trip.request_id == request_id,
                refusal=FleetError.DISPATCH_KEY_USED.error,
                replay=lambda trip: trip_view(trip.id, replayed=True),
            )
        except IntegrityError as error:
            constraint = _overlap_constraint(error)
            if constraint is None or attempt.start is None or attempt.blocked_until is None or tried == ATTEMPTS:
                raise
            # The winner has committed (the refused insert waited for it): name it.
            await _refuse_overlap(
                connections.get("default"),
                attempt.vehicle_id if constraint == VEHICLE_OVERLAP else None,
                attempt.driver_id if constraint == DRIVER_OVERLAP else None,
                attempt.start,
                attempt.blocked_until,
                ignoring=attempt.replacing,
            )


# ---- dispatch, cancel, reassign ----------------------------------------------------------------


async def _tell(conn: Any, view: TripView, at: datetime) -> None:
    """The requester (dispatched, with the car and driver) and the trip's driver (assigned), in
    the dispatch's transaction: a refused or rolled-back dispatch tells nobody."""
    await notices.tell_requester(conn, view.request_id, at)
    if view.driver_person_id is not None:
        await notices.tell_driver(conn, view.id, view.driver_person_id, at)


async def dispatch(
    actor: Actor,
    request_id: int,
    *,
    vehicle_id: int | None = None,
    driver_id: int | None = None,
    rental_company_id: int | None = None,
    rental_vehicle_type: VehicleType | None = None,
    rental_plate: str = "",
    key: str,
    at: datetime,
    buffer_minutes: int,
) -> TripView:
    """Dispatch an approved request (待派车) to a vehicle and a driver, or to a rental company
    (at its contracted rate for the vehicle type): the trip holds them over the request's window
    plus `buffer_minutes` (FleetSettings.buffer_minutes), and the request becomes 已派车."""
    target = Target(vehicle_id, driver_id, rental_company_id, rental_vehicle_type, rental_plate).checked()
    key = _checked_key(key)
    attempt = Attempt()

    async def act(conn: Any, request: TripRequest) -> TripView:
        if request.state != RequestState.APPROVED:
            raise FleetError.REQUEST_STATE.error(state=request.state.label, action="派车")
        if request.ends_at <= at:
            raise FleetError.REQUEST_ENDED.error()
        view = await _place(conn, request, target, key, at, actor, timedelta(minutes=buffer_minutes), attempt)
        await TripRequest.filter(id=request.id).using_db(conn).update(state=RequestState.DISPATCHED)
        await record(conn, actor, "fleet.dispatch_trip", "fleet_trip", view.id, after=view.audited())
        await _tell(conn, view, at)
        return view

    return await _once(act, request_id, key, attempt)


async def cancel_dispatch(actor: Actor, trip_id: int, reason: str, at: datetime) -> TripView:
    """Cancel a trip that has not started (待出车): it holds nothing any more, and its request
    is back to 待派车 for another dispatch."""
    trip = await Trip.get_or_none(id=trip_id)
    if trip is None:
        raise FleetError.TRIP_NOT_FOUND.error()
    async with in_transaction() as conn:
        request = await _lock_request(conn, trip.request_id)
        # The trip's row too: the driver's start locks it, so a trip set off meanwhile is seen
        # as started here, never cancelled under the driver's feet.
        trip = await Trip.filter(id=trip_id).using_db(conn).select_for_update().get()
        if trip.state != TripState.ASSIGNED:
            raise FleetError.TRIP_STATE.error(state=trip.state.label, action="取消派车")
        before = await trip_view(trip.id, conn)
        await Trip.filter(id=trip.id).using_db(conn).update(state=TripState.CANCELLED, cancelled_at=at)
        if request.state == RequestState.DISPATCHED:
            await TripRequest.filter(id=request.id).using_db(conn).update(state=RequestState.APPROVED)
        after = await trip_view(trip.id, conn)
        if after.driver_person_id is not None:
            await notices.tell_driver(conn, after.id, after.driver_person_id, at)
        await record(
            conn,
            actor,
            "fleet.cancel_dispatch",
            "fleet_trip",
            trip.id,
            before.audited(),
            {**after.audited(), "reason": reason.strip()[:200]},
        )
    return after


async def reassign(
    actor: Actor,
    trip_id: int,
    vehicle_id: int,
    driver_id: int,
    key: str,
    at: datetime,
    *,
    buffer_minutes: int,
) -> TripView:
    """Give a trip that has not started another vehicle and driver (改派): the old trip is
    cancelled and the new one made in one transaction, so the request is never left without a
    trip, and the old trip's hold does not stand in the new one's way."""
    target = Target(vehicle_id=vehicle_id, driver_id=driver_id).checked()
    key = _checked_key(key)
    old = await Trip.get_or_none(id=trip_id)
    if old is None:
        raise FleetError.TRIP_NOT_FOUND.error()
    attempt = Attempt()

    async def act(conn: Any, request: TripRequest) -> TripView:
        replaced = await Trip.filter(id=trip_id).using_db(conn).select_for_update().get()
        if replaced.state != TripState.ASSIGNED:
            raise FleetError.TRIP_STATE.error(state=replaced.state.label, action="改派")
        before = await trip_view(replaced.id, conn)
        attempt.replacing = replaced.id
        await Trip.filter(id=replaced.id).using_db(conn).update(state=TripState.CANCELLED, cancelled_at=at)
        view = await _place(conn, request, target, key, at, actor, timedelta(minutes=buffer_minutes), attempt)
        after = {**view.audited(), "replaced_trip_id": replaced.id}
        await record(conn, actor, "fleet.reassign_trip", "fleet_trip", view.id, before.audited(), after)
        if before.driver_person_id is not None and before.driver_person_id != view.driver_person_id:
            await notices.tell_driver(conn, replaced.id, before.driver_person_id, at)
        await _tell(conn, view, at)
        return view

    return await _once(act, old.request_id, key, attempt)


# ---- late returns and overrunning trips ----------------------------------------------------------


async def flag_late_return(conn: Any, trip: Trip, at: datetime) -> list[int]:
    """Flag (LATE_RETURN) every later live trip of the same vehicle or driver that this trip's
    late return runs into: back at `trip.actual_end`, or still out at `at`, past the held
    `blocked_until`. Run again, it flags nothing new. Returns the ids of the trips run into."""
    end = trip.actual_end or at
    if end <= trip.blocked_until or (trip.vehicle_id is None and trip.driver_id is None):
        return []
    same = Q(vehicle_id=trip.vehicle_id) if trip.vehicle_id else Q(driver_id=trip.driver_id)
    if trip.vehicle_id and trip.driver_id:
        same |= Q(driver_id=trip.driver_id)
    hit = (
        await live_trips()
        .filter(same, planned_start__gte=trip.planned_start, planned_start__lt=end)
        .exclude(id=trip.id)
        .exclude(state=TripState.FINISHED)
        .using_db(conn)
        .order_by("planned_start")
    )
    back = "收车" if trip.actual_end else "仍未收车"
    for following in hit:
        detail = (
            f"行程 #{trip.id} 应于 {_clock(trip.blocked_until)} 前收车，{_clock(end)} {back}，"
            f"影响行程 #{following.id}（计划 {_clock(following.planned_start)} 出车）"
        )
        # A concurrent check may flag the same pair: the unique key keeps one, without failing
        # the caller's transaction (a trip's finish).
        await raise_flag(
            conn,
            FlagKind.LATE_RETURN,
            f"late:{trip.id}:{following.id}",
            detail,
            at,
            vehicle_id=following.vehicle_id or trip.vehicle_id,
            trip_id=following.id,
        )
    return [t.id for t in hit]


async def flag_running_late(at: datetime) -> int:
    """The check for trips still out past their held range: each one's run-ins flagged at once
    (flag_late_return). Returns how many trips it flagged run-ins for."""
    flagged = 0
    for trip in await Trip.filter(state=TripState.STARTED, blocked_until__lt=at):
        async with in_transaction() as conn:
            flagged += bool(await flag_late_return(conn, trip, at))
    return flagged


async def overrunning(at: datetime) -> list[dict]:
    """Trips on the road past their planned end, most overdue first, for the dispatch board."""
    trips = (
        await Trip.filter(state=TripState.STARTED, planned_end__lt=at)
        .select_related("vehicle", "driver__person")
        .order_by("planned_end")
    )
    return [
        {
            "id": t.id,
            "request_id": t.request_id,
            "plate": t.vehicle.plate if t.vehicle else t.rental_plate,
            "driver": t.driver.person.name if t.driver else "",
            "planned_end": t.planned_end,
            "minutes_over": int((at - t.planned_end).total_seconds() // 60),
        }
        for t in trips
    ]


async def late_return_trip_ids(trip_ids: list[int]) -> set[int]:
    """Which of these trips an open late-return flag names (a late trip runs into them)."""
    return set(
        await ComplianceFlag.filter(kind=FlagKind.LATE_RETURN, state=FlagState.OPEN, trip_id__in=trip_ids).values_list(
            "trip_id", flat=True
        )
    )


async def describe_trips(ids: list[int]) -> dict[int, str]:
    """{id: "#12 浙A12345 2027-03-08 09:00"}: a trip as the audit log names it."""
    found = await Trip.filter(id__in=ids).values_list("id", "vehicle__plate", "rental_plate", "planned_start")
    return {i: f"#{i} {plate or rental or '租赁车辆'} {_clock(start)}" for i, plate, rental, start in found}
