"""The trips as they are run: the driver's list, start (出车) and finish (收车) with their sanity
checks, the trip's cost and its charge to the unit's quota; a rental trip finished by the
dispatcher; and the passenger's confirmation and rating.

Checks on the readings: a start reading below the car's odometer is refused (it cannot run
backwards); one well above it means the car ran unrecorded kilometres since its last trip, which is
not the driver's to refuse but the inspectors' to explain, so it raises an ODOMETER_GAP flag. At
the finish the end reading must not be below the start, and the average speed over the actual
times must be plausible, so a reading with a digit too many is refused before it is charged.

Cost of a fleet trip: km × the vehicle type's per-km rate, plus tolls, parking, fuel or charging,
plus the driver's overtime past the planned end (started half hours × the hourly rate). A rental:
the contract's per-day price for every started day, plus per km, tolls and parking."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, Literal

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.core.pagination import paginate
from backend.fleet.errors import FleetError
from backend.fleet.models import (
    CostRate,
    FlagKind,
    RentalCompany,
    RentalRate,
    RequestState,
    Trip,
    TripRequest,
    TripState,
    Vehicle,
)
from backend.fleet.service import dispatch, quotas
from backend.fleet.service.flags import raise_flag

# A start reading this far above the car's last reading is unexplained mileage, not rounding.
GAP_KM = 5
# The fastest average a trip may claim over its actual times.
MAX_AVERAGE_KMH = 150
# One reading, toll, parking or fuel amount at most (fen): 50,000 yuan.
MAX_COST_FEN = 5_000_000
MAX_ODOMETER_KM = 2_000_000
HALF_HOUR = timedelta(minutes=30)
DAY = timedelta(days=1)

Which = Literal["upcoming", "done"] | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def trip_view(trip: Trip, request: TripRequest, requester_name: str = "") -> dict:
    """A trip as the driver and the console see it; `trip.vehicle` fetched where it has one."""
    vehicle = trip.vehicle if trip.vehicle_id else None
    return {
        "id": trip.id,
        "request_id": trip.request_id,
        "state": trip.state.value,
        "state_label": trip.state.label,
        "plate": vehicle.plate if vehicle else trip.rental_plate,
        "vehicle_type_label": vehicle.vehicle_type.label
        if vehicle
        else (trip.rental_vehicle_type.label if trip.rental_vehicle_type else ""),
        "planned_start": _iso(trip.planned_start),
        "planned_end": _iso(trip.planned_end),
        "actual_start": _iso(trip.actual_start),
        "actual_end": _iso(trip.actual_end),
        "start_odometer_km": trip.start_odometer_km,
        "end_odometer_km": trip.end_odometer_km,
        "km": trip.end_odometer_km - trip.start_odometer_km
        if trip.end_odometer_km is not None and trip.start_odometer_km is not None
        else None,
        "toll_fen": trip.toll_fen,
        "parking_fen": trip.parking_fen,
        "fuel_fen": trip.fuel_fen,
        "overtime_fen": trip.overtime_fen,
        "cost_fen": trip.cost_fen,
        "purpose_label": request.purpose.label,
        "reason": request.reason,
        "passengers": request.passengers,
        "pickup": request.pickup,
        "destination": request.destination,
        "outside_city": request.outside_city,
        "requester_name": requester_name,
    }


async def _views(trips: list[Trip]) -> list[dict]:
    requests = {r.id: r for r in await TripRequest.filter(id__in=[t.request_id for t in trips])}
    names = {p.id: p.name for p in await people.people_summaries(r.requester_id for r in requests.values())}
    return [trip_view(t, requests[t.request_id], names.get(requests[t.request_id].requester_id, "")) for t in trips]


async def my_trips(person_id: int, which: Which, page: int, page_size: int) -> dict:
    """The driver's trips: `upcoming` (to start or running) soonest first, `done` (finished)
    latest first, or all of them latest first. Cancelled trips are not the driver's any more."""
    query = Trip.filter(driver__person_id=person_id).exclude(state=TripState.CANCELLED)
    if which == "upcoming":
        query, order = query.filter(state__in=[TripState.ASSIGNED, TripState.STARTED]), ("planned_start", "id")
    elif which == "done":
        query, order = query.filter(state=TripState.FINISHED), ("-planned_start", "-id")
    else:
        order = ("-planned_start", "-id")
    found = await paginate(query.prefetch_related("vehicle"), page, page_size, order_by=order)
    return {**found.as_dict(), "items": await _views(found.items)}


async def trip_of_driver(person_id: int, trip_id: int) -> dict:
    trip = await Trip.filter(id=trip_id, driver__person_id=person_id).prefetch_related("vehicle").first()
    if trip is None:
        raise FleetError.NOT_YOUR_TRIP.error()
    return (await _views([trip]))[0]


async def _locked_trip(conn: Any, person_id: int, trip_id: int) -> Trip:
    trip = await Trip.filter(id=trip_id, driver__person_id=person_id).using_db(conn).select_for_update().first()
    if trip is None:
        raise FleetError.NOT_YOUR_TRIP.error()
    return trip


async def _locked_vehicle(conn: Any, vehicle_id: int) -> Vehicle:
    return await Vehicle.filter(id=vehicle_id).using_db(conn).select_for_update().get()


def _check_reading(odometer_km: int) -> None:
    if not 0 <= odometer_km <= MAX_ODOMETER_KM:
        raise FleetError.ODOMETER_BACKWARDS.error(reading=odometer_km, floor=0)


def _check_costs(*amounts: int) -> None:
    if any(not 0 <= amount <= MAX_COST_FEN for amount in amounts):
        raise FleetError.COST_INVALID.error(most=MAX_COST_FEN // 100)


async def start(person_id: int, trip_id: int, odometer_km: int, at: datetime) -> dict:
    """The assigned driver sets off (出车) with the odometer reading. The same start sent again
    (a retry) answers the trip as it stands."""
    _check_reading(odometer_km)
    async with in_transaction() as conn:
        trip = await _locked_trip(conn, person_id, trip_id)
        if trip.state == TripState.STARTED and trip.start_odometer_km == odometer_km:
            return await trip_of_driver(person_id, trip_id)
        if trip.state != TripState.ASSIGNED:
            raise FleetError.TRIP_STATE.error(state=trip.state.label, action="出车")
        vehicle = await _locked_vehicle(conn, trip.vehicle_id)
        if odometer_km < vehicle.odometer_km:
            raise FleetError.ODOMETER_BACKWARDS.error(reading=odometer_km, floor=vehicle.odometer_km)
        gap = odometer_km - vehicle.odometer_km
        if gap > GAP_KM:
            await raise_flag(
                conn,
                FlagKind.ODOMETER_GAP,
                f"odometer_gap:{trip.id}",
                f"{vehicle.plate} 出车读数 {odometer_km} 公里，比上次记录的 {vehicle.odometer_km} 公里"
                f"多 {gap} 公里，这段里程没有行程说明",
                at,
                vehicle_id=vehicle.id,
                trip_id=trip.id,
            )
        trip.state, trip.actual_start, trip.start_odometer_km = TripState.STARTED, at, odometer_km
        await trip.save(using_db=conn, update_fields=["state", "actual_start", "start_odometer_km"])
        vehicle.odometer_km = odometer_km
        await vehicle.save(using_db=conn, update_fields=["odometer_km"])
    return await trip_of_driver(person_id, trip_id)


def overtime_fen(planned_end: datetime, actual_end: datetime, per_hour_fen: int) -> int:
    """The driver's overtime past the planned end: every started half hour at half the hourly
    rate, rounded to the fen half up."""
    late = actual_end - planned_end
    if late <= timedelta(0):
        return 0
    half_hours = math.ceil(late / HALF_HOUR)
    return (half_hours * per_hour_fen + 1) // 2


def started_days(start: datetime, end: datetime) -> int:
    """Rental days as a rental contract counts them: every started 24 hours, at least one."""
    return max(1, math.ceil((end - start) / DAY))


def _check_speed(km: int, started: datetime, ended: datetime) -> None:
    if ended < started:
        raise FleetError.TRIP_TIME_INVALID.error(started=started.strftime("%Y-%m-%d %H:%M"))
    hours = (ended - started).total_seconds() / 3600
    if km > 0 and (hours <= 0 or km / hours > MAX_AVERAGE_KMH):
        raise FleetError.SPEED_IMPLAUSIBLE.error(km=km, minutes=math.floor(hours * 60))


async def _close(conn: Any, trip: Trip, at: datetime) -> None:
    """What every finish does once the trip's cost is set: charge the quota in the same
    transaction, flag at once a late return that ran into the car's or driver's next trip, and
    close the request once none of its trips is still to run."""
    await quotas.charge(conn, trip, at)
    await dispatch.flag_late_return(conn, trip, at)
    running = (
        await Trip.filter(request_id=trip.request_id, state__in=[TripState.ASSIGNED, TripState.STARTED])
        .using_db(conn)
        .exclude(id=trip.id)
        .exists()
    )
    if not running:
        await (
            TripRequest.filter(id=trip.request_id, state=RequestState.DISPATCHED)
            .using_db(conn)
            .update(state=RequestState.FINISHED)
        )


async def finish(
    person_id: int,
    trip_id: int,
    odometer_km: int,
    toll_fen: int,
    parking_fen: int,
    fuel_fen: int,
    at: datetime,
) -> dict:
    """The driver is back (收车): the end reading and what was paid on the way. The trip's cost
    is computed and charged to the unit's quota in the same transaction. The same finish sent
    again answers the first result; a different one for a finished trip is refused."""
    _check_reading(odometer_km)
    _check_costs(toll_fen, parking_fen, fuel_fen)
    async with in_transaction() as conn:
        trip = await _locked_trip(conn, person_id, trip_id)
        readings = (odometer_km, toll_fen, parking_fen, fuel_fen)
        if (
            trip.state == TripState.FINISHED
            and (
                trip.end_odometer_km,
                trip.toll_fen,
                trip.parking_fen,
                trip.fuel_fen,
            )
            == readings
        ):
            return await trip_of_driver(person_id, trip_id)
        if trip.state != TripState.STARTED:
            raise FleetError.TRIP_STATE.error(state=trip.state.label, action="收车")
        assert trip.start_odometer_km is not None and trip.actual_start is not None
        if odometer_km < trip.start_odometer_km:
            raise FleetError.ODOMETER_BACKWARDS.error(reading=odometer_km, floor=trip.start_odometer_km)
        km = odometer_km - trip.start_odometer_km
        _check_speed(km, trip.actual_start, at)
        vehicle = await _locked_vehicle(conn, trip.vehicle_id)
        rate = await CostRate.filter(vehicle_type=vehicle.vehicle_type).using_db(conn).first()
        if rate is None:
            raise FleetError.NO_COST_RATE.error(vehicle_type=vehicle.vehicle_type.label)
        trip.overtime_fen = overtime_fen(trip.planned_end, at, rate.overtime_per_hour_fen)
        trip.cost_fen = km * rate.per_km_fen + toll_fen + parking_fen + fuel_fen + trip.overtime_fen
        trip.state, trip.actual_end, trip.end_odometer_km = TripState.FINISHED, at, odometer_km
        trip.toll_fen, trip.parking_fen, trip.fuel_fen = toll_fen, parking_fen, fuel_fen
        await trip.save(using_db=conn)
        if odometer_km > vehicle.odometer_km:
            vehicle.odometer_km = odometer_km
            await vehicle.save(using_db=conn, update_fields=["odometer_km"])
        await _close(conn, trip, at)
    return await trip_of_driver(person_id, trip_id)


async def finish_rental(actor: Actor, trip_id: int, km: int, toll_fen: int, parking_fen: int, at: datetime) -> dict:
    """The dispatcher closes a rental trip (社会租赁, no driver of ours) from the company's bill:
    the kilometres driven, tolls and parking. Its cost follows the contracted rate; the same
    closing sent again answers the first result."""
    _check_reading(km)
    _check_costs(toll_fen, parking_fen)
    async with in_transaction() as conn:
        trip = await Trip.filter(id=trip_id, rental_company_id__isnull=False).using_db(conn).select_for_update().first()
        if trip is None:
            raise FleetError.TRIP_NOT_FOUND.error()
        if trip.state == TripState.FINISHED and (trip.end_odometer_km, trip.toll_fen, trip.parking_fen) == (
            km,
            toll_fen,
            parking_fen,
        ):
            return await _rental_view(trip_id)
        if trip.state not in (TripState.ASSIGNED, TripState.STARTED):
            raise FleetError.TRIP_STATE.error(state=trip.state.label, action="收车")
        started = trip.actual_start or trip.planned_start
        _check_speed(km, started, at)
        rate = (
            await RentalRate.filter(company_id=trip.rental_company_id, vehicle_type=trip.rental_vehicle_type)
            .using_db(conn)
            .first()
        )
        if rate is None:
            company = await RentalCompany.filter(id=trip.rental_company_id).using_db(conn).first()
            raise FleetError.NO_RENTAL_RATE.error(
                company=company.name if company else "",
                vehicle_type=trip.rental_vehicle_type.label if trip.rental_vehicle_type else "",
            )
        before = {"state": trip.state.value, "cost_fen": trip.cost_fen}
        days = started_days(started, at)
        trip.cost_fen = rate.per_day_fen * days + rate.per_km_fen * km + toll_fen + parking_fen
        trip.state, trip.actual_start, trip.actual_end = TripState.FINISHED, started, at
        # A rental has no odometer of ours: the readings record the kilometres billed.
        trip.start_odometer_km, trip.end_odometer_km = 0, km
        trip.toll_fen, trip.parking_fen = toll_fen, parking_fen
        await trip.save(using_db=conn)
        await _close(conn, trip, at)
        await record(
            conn,
            actor,
            "fleet.finish_rental",
            "fleet_trip",
            trip.id,
            before,
            {
                "state": trip.state.value,
                "km": km,
                "days": days,
                "toll_fen": toll_fen,
                "parking_fen": parking_fen,
                "cost_fen": trip.cost_fen,
            },
        )
    return await _rental_view(trip_id)


async def _rental_view(trip_id: int) -> dict:
    trip = await Trip.get(id=trip_id).prefetch_related("vehicle")
    return (await _views([trip]))[0]


async def confirm(person_id: int, request_id: int, rating: int, comment: str, at: datetime) -> dict:
    """The requester confirms the finished trip and rates it 1–5, once. The same rating sent
    again (a retry) answers as the first; another one is refused."""
    if not 1 <= rating <= 5:
        raise FleetError.RATING_INVALID.error()
    async with in_transaction() as conn:
        request = await TripRequest.filter(id=request_id).using_db(conn).select_for_update().first()
        if request is None or request.requester_id != person_id:
            raise FleetError.NOT_YOUR_REQUEST.error()
        if request.confirmed_at is not None:
            if (request.rating, request.rating_comment) == (rating, comment):
                return confirmation_view(request)
            raise FleetError.REQUEST_CONFIRMED.error()
        if request.state != RequestState.FINISHED:
            raise FleetError.REQUEST_STATE.error(state=request.state.label, action="评价")
        request.confirmed_at, request.rating, request.rating_comment = at, rating, comment
        await request.save(using_db=conn, update_fields=["confirmed_at", "rating", "rating_comment"])
    return confirmation_view(request)


def confirmation_view(request: TripRequest) -> dict:
    return {
        "request_id": request.id,
        "state": request.state.value,
        "state_label": request.state.label,
        "rating": request.rating,
        "comment": request.rating_comment,
        "confirmed_at": _iso(request.confirmed_at),
    }
