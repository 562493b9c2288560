"""The dispatcher's desk (派车台): the car requests as the fleet centre sees them, filtered by
state, unit and day, and one request with its trips and the rental companies it may go to."""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.queryset import QuerySet

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.core.timeutil import day_start
from backend.fleet.errors import FleetError
from backend.fleet.models import RentalCompany, RentalRate, RequestState, Trip, TripRequest
from backend.fleet.service.dispatch import late_return_trip_ids
from backend.fleet.service.requests import KIND

RELATED = ("unit__parent", "requester")


def requests_query(state: str = "", unit_id: int | None = None, day: date | None = None) -> QuerySet[TripRequest]:
    """Requests in `state`, of `unit_id`, with a window that meets the business day `day`."""
    query = TripRequest.all().select_related(*RELATED)
    if state:
        query = query.filter(state=RequestState(state))
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    if day is not None:
        query = query.filter(starts_at__lt=day_start(day + timedelta(days=1)), ends_at__gt=day_start(day))
    return query


def request_row(request: TripRequest) -> dict:
    """A request as the list and its export show it (unit and requester prefetched)."""
    return {
        "id": request.id,
        "starts_at": request.starts_at,
        "ends_at": request.ends_at,
        "unit": people.unit_label(
            request.unit.name,
            request.unit.parent.name if request.unit.parent else None,
            request.unit.path.count("/") - 1,
        ),
        "requester": request.requester.name,
        "purpose": request.purpose.label,
        "passengers": request.passengers,
        "route": f"{request.pickup} → {request.destination}",
        "outside_city": request.outside_city,
        "emergency": request.emergency,
        "state": request.state.value,
        "state_label": request.state.label,
        "created_at": request.created_at,
    }


async def request_detail(request_id: int) -> dict:
    """A request with its details, its approval chain, and every trip made for it, newest first
    (cancelled ones too, each with whether an open late-return flag names it)."""
    request = await TripRequest.get_or_none(id=request_id).select_related(*RELATED)
    if request is None:
        raise FleetError.REQUEST_NOT_FOUND.error()
    trips = (
        await Trip.filter(request_id=request_id)
        .select_related("vehicle", "driver__person", "rental_company")
        .order_by("-id")
    )
    flagged = await late_return_trip_ids([t.id for t in trips])
    return {
        **request_row(request),
        "approval": await approvals.of_subject(KIND, request_id),
        "reason": request.reason,
        "pickup": request.pickup,
        "destination": request.destination,
        "return_trip": request.return_trip,
        "estimated_km": request.estimated_km,
        "refusal_reason": request.refusal_reason,
        "trips": [
            {
                "id": t.id,
                "state": t.state.value,
                "state_label": t.state.label,
                "plate": t.vehicle.plate if t.vehicle else t.rental_plate or "待定",
                "vehicle_id": t.vehicle_id,
                "driver_id": t.driver_id,
                "driver": t.driver.person.name if t.driver else "",
                "rental_company": t.rental_company.name if t.rental_company else "",
                "rental_vehicle_type": t.rental_vehicle_type.label if t.rental_vehicle_type else "",
                "planned_start": t.planned_start,
                "planned_end": t.planned_end,
                "blocked_until": t.blocked_until,
                "actual_start": t.actual_start,
                "actual_end": t.actual_end,
                "dispatched_at": t.dispatched_at,
                "cancelled_at": t.cancelled_at,
                "late_return": t.id in flagged,
            }
            for t in trips
        ],
    }


async def rental_offers() -> list[dict]:
    """Active rental companies with the vehicle types they have a contracted price for."""
    companies = await RentalCompany.filter(is_active=True).order_by("name")
    rates = await RentalRate.filter(company_id__in=[c.id for c in companies]).order_by("vehicle_type")
    return [
        {
            "id": c.id,
            "name": c.name,
            "rates": [
                {"vehicle_type": r.vehicle_type.value, "label": r.vehicle_type.label, "per_day_fen": r.per_day_fen}
                for r in rates
                if r.company_id == c.id
            ],
        }
        for c in companies
    ]
