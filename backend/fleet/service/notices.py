"""What the official-cars module tells through WeChat subscribe messages (sent by
backend.notices): the requester, when their request is approved, refused or dispatched (with the
plate and the driver), and the driver, when a trip is assigned to them. Both use one template,
fleet.progress (WECHAT_FLEET_TEMPLATE_ID); the message is read from the request or the trip when
it is sent, so a retry tells how things stand then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.models import Trip, TripRequest
from backend.notices import service as notices

TO_REQUESTER = "fleet.request"
TO_DRIVER = "fleet.assignment"


async def tell_requester(conn: Any, request_id: int, at: datetime) -> None:
    """A notice to the request's requester of how it stands, in the caller's transaction."""
    requester_id = await TripRequest.filter(id=request_id).using_db(conn).first().values_list("requester_id", flat=True)
    await notices.queue(conn, TO_REQUESTER, requester_id, request_id, at)


async def tell_driver(conn: Any, trip_id: int, person_id: int, at: datetime) -> None:
    """A notice to a trip's driver (assigned, or called off), in the caller's transaction."""
    await notices.queue(conn, TO_DRIVER, person_id, trip_id, at)


def _fields(request: TripRequest, state: str, note: str) -> dict[str, str]:
    """The template's fields (keys fixed by the template: see the README on
    WECHAT_FLEET_TEMPLATE_ID), cut to WeChat's limits (thing ≤ 20 characters, phrase ≤ 5)."""
    return {
        "character_string1": str(request.id),
        "thing2": request.destination[:20],
        "phrase3": state[:5],
        "time4": request.starts_at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
        "thing5": note[:20] or "无",
    }


def _car(trip: Trip) -> str:
    if trip.rental_company_id:
        return f"租赁 {trip.rental_company.name} {trip.rental_plate}".strip()
    return f"{trip.vehicle.plate} 驾驶员{trip.driver.person.name}"


async def render_for_requester(request_id: int) -> notices.Message | None:
    request = await TripRequest.get_or_none(id=request_id)
    if request is None:
        return None
    trip = (
        await Trip.filter(request_id=request_id, state__not="cancelled")
        .select_related("vehicle", "driver__person", "rental_company")
        .first()
    )
    note = _car(trip) if trip else request.refusal_reason
    return notices.Message(_fields(request, request.state.label, note), f"pages/fleet/request?id={request.id}")


async def render_for_driver(trip_id: int) -> notices.Message | None:
    trip = await Trip.get_or_none(id=trip_id).select_related("request", "vehicle", "driver__person", "rental_company")
    if trip is None:
        return None
    note = f"{trip.vehicle.plate} 从{trip.request.pickup}" if trip.vehicle_id else trip.request.pickup
    return notices.Message(_fields(trip.request, trip.state.label, note), f"pages/fleet/trip?id={trip.id}")
