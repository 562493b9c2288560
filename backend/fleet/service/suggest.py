"""Suggesting cars and drivers for a request (派车建议): the cars that could be dispatched to it
now, nearest first, new-energy first among equals, each with the drivers free to drive it.

A car is suggested when dispatching it would pass every rule of dispatch.py but the ones about
the driver: in use, inspection not due before the trip ends, enough seats, not held over the
buffered window, and not sealed out (on duty, or the request an emergency). A few queries over
the whole fleet, not one per car: a city's thousand cars are read once, and the cars and the
drivers held over the window are one query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.errors import FleetError
from backend.fleet.models import Driver, DriverLeave, LicenceClass, TripRequest, Vehicle, VehicleStatus, VehicleType
from backend.fleet.service import geo, sealing
from backend.fleet.service.dispatch import holding
from backend.fleet.service.records import licence_fits

DRIVERS_PER_CAR = 5


@dataclass(frozen=True)
class Suggestion:
    vehicle_id: int
    plate: str
    vehicle_type: str
    vehicle_type_label: str
    seats: int
    new_energy: bool
    base: str
    stationed_here: bool  # stationed at the requester's unit (分散派驻)
    distance_km: float | None  # from the pick-up, when both places are known
    drivers: tuple[tuple[int, str], ...]  # (driver id, "name（licence）"), fitting and free


async def _free_drivers(start: datetime, end: datetime, blocked_until: datetime) -> list[tuple[int, str, LicenceClass]]:
    """Active drivers with a licence valid to the trip's end, not on leave over [start, end) and
    not held over [start, blocked_until): (id, name, licence class)."""
    held = set(await holding(start, blocked_until).filter(driver_id__isnull=False).values_list("driver_id", flat=True))
    away = set(await DriverLeave.filter(starts_at__lt=end, ends_at__gt=start).values_list("driver_id", flat=True))
    rows = (
        await Driver.filter(is_active=True, licence_expires__gte=end.astimezone(BUSINESS_TZ).date())
        .order_by("id")
        .values_list("id", "person__name", "licence_class")
    )
    return [(i, name, LicenceClass(licence)) for i, name, licence in rows if i not in held and i not in away]


async def suggest(request_id: int, *, buffer_minutes: int, limit: int = 5) -> list[Suggestion]:
    """Up to `limit` cars for the request, best first: those with a known distance from the
    pick-up nearest first (to the kilometre), then those without, stationed at the requester's
    unit before the central pool before other units' cars; new-energy first among equals. Each
    with up to DRIVERS_PER_CAR drivers whose licence fits it."""
    request = await TripRequest.get_or_none(id=request_id)
    if request is None:
        raise FleetError.REQUEST_NOT_FOUND.error()
    start, end = request.starts_at, request.ends_at
    blocked_until = end + timedelta(minutes=buffer_minutes)
    held = set(
        await holding(start, blocked_until).filter(vehicle_id__isnull=False).values_list("vehicle_id", flat=True)
    )
    # Seats are 核载人数, the driver's included.
    cars = Vehicle.filter(status=VehicleStatus.IN_USE, seats__gte=request.passengers + 1)
    last_day = end.astimezone(BUSINESS_TZ).date()
    if await sealing.seal_covering(None, start, end) is not None:
        if not request.emergency:
            return []
        cars = cars.filter(on_duty=True)
    rows = await cars.values(
        "id",
        "plate",
        "vehicle_type",
        "seats",
        "new_energy",
        "base_name",
        "base_lat",
        "base_lng",
        "home_unit_id",
        "inspection_due",
    )
    here = request.pickup_lat is not None and request.pickup_lng is not None

    def rank(row: dict) -> tuple:
        if here and row["base_lat"] is not None and row["base_lng"] is not None:
            km = geo.distance_m(request.pickup_lat, request.pickup_lng, row["base_lat"], row["base_lng"]) / 1000
            return (0, round(km), not row["new_energy"], km, row["id"])
        home = 0 if row["home_unit_id"] == request.unit_id else 1 if row["home_unit_id"] is None else 2
        return (1, home, not row["new_energy"], 0.0, row["id"])

    usable = [
        row
        for row in rows
        if row["id"] not in held and (row["inspection_due"] is None or row["inspection_due"] >= last_day)
    ]
    best = sorted(usable, key=rank)[:limit]
    drivers = await _free_drivers(start, end, blocked_until) if best else []
    suggestions = []
    for row in best:
        kind = VehicleType(row["vehicle_type"])
        fitting = tuple(
            (i, f"{name}（{licence.value}）")
            for i, name, licence in drivers
            if licence_fits(licence, kind, row["seats"])
        )
        located = here and row["base_lat"] is not None and row["base_lng"] is not None
        suggestions.append(
            Suggestion(
                vehicle_id=row["id"],
                plate=row["plate"],
                vehicle_type=kind.value,
                vehicle_type_label=kind.label,
                seats=row["seats"],
                new_energy=row["new_energy"],
                base=row["base_name"],
                stationed_here=row["home_unit_id"] == request.unit_id,
                distance_km=round(rank(row)[3], 1) if located else None,
                drivers=fitting[:DRIVERS_PER_CAR],
            )
        )
    return suggestions
