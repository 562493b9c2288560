"""Cadres' requests for a car (用车申请): filing (once per client reference), the approval chain
they go through (`backend.approvals`, kind `fleet.trip_request`), cancelling until dispatch, and
what the requester sees.

The chain's conditional steps depend on facts known when the request is filed: the trip leaves
the city, the unit's remaining quota does not cover the estimate, or the window falls in a
sealing period (an emergency approval). A request filed in a sealing period is marked
`emergency`: dispatch lets only such requests out during sealing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.approvals.service import ApprovalOutcome, Subject
from backend.core import idempotency
from backend.core.pagination import paginate
from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.errors import FleetError
from backend.fleet.models import CostRate, Purpose, RequestState, Trip, TripRequest, TripState, VehicleType
from backend.fleet.service import notices, quotas, sealing

KIND = "fleet.trip_request"
MOST_PASSENGERS = 60
MOST_KM = 5000
LONGEST = timedelta(days=7)
FARTHEST_AHEAD = timedelta(days=90)
# A form filled in over a minute or two may name a start that has just passed.
PAST_TOLERANCE = timedelta(minutes=10)
CANCELLABLE = (RequestState.PENDING, RequestState.APPROVED)


@dataclass(frozen=True)
class RequestForm:
    purpose: Purpose
    reason: str
    passengers: int
    pickup: str
    destination: str
    starts_at: datetime
    ends_at: datetime
    estimated_km: int
    outside_city: bool = False
    return_trip: bool = False
    pickup_lat: float | None = None
    pickup_lng: float | None = None


def _check(form: RequestForm, at: datetime) -> None:
    if len(form.reason.strip()) < 2 or not form.pickup.strip() or not form.destination.strip():
        raise FleetError.REQUEST_TEXT_REQUIRED.error()
    if form.ends_at <= form.starts_at:
        raise FleetError.WINDOW_INVALID.error()
    if form.starts_at < at - PAST_TOLERANCE or form.starts_at > at + FARTHEST_AHEAD:
        raise FleetError.WINDOW_IN_PAST.error() if form.starts_at < at else FleetError.WINDOW_TOO_FAR.error()
    if form.ends_at - form.starts_at > LONGEST:
        raise FleetError.WINDOW_TOO_LONG.error(days=LONGEST.days)
    if not 1 <= form.passengers <= MOST_PASSENGERS:
        raise FleetError.PASSENGERS_INVALID.error(most=MOST_PASSENGERS)
    # The estimate decides whether the over-quota step is needed: it is not left to be skipped.
    if not 1 <= form.estimated_km <= MOST_KM:
        raise FleetError.ESTIMATE_REQUIRED.error()


async def estimated_cost_fen(conn: Any, estimated_km: int) -> int:
    """What the trip would cost in a sedan at the platform's rate: the yardstick for "over quota"."""
    rate = await CostRate.get_or_none(vehicle_type=VehicleType.SEDAN).using_db(conn)
    return estimated_km * (rate.per_km_fen if rate else 0)


async def _facts(conn: Any, unit_id: int, form: RequestForm) -> frozenset[str]:
    facts = set()
    if form.outside_city:
        facts.add("outside_city")
    remaining = await quotas.remaining(unit_id, form.starts_at.astimezone(BUSINESS_TZ).year)
    if remaining <= 0 or await estimated_cost_fen(conn, form.estimated_km) > remaining:
        facts.add("over_quota")
    if await sealing.seal_covering(conn, form.starts_at, form.ends_at) is not None:
        facts.add("sealed_period")
    return frozenset(facts)


def _title(request: TripRequest, name: str) -> str:
    start = request.starts_at.astimezone(BUSINESS_TZ)
    return f"{name} {start:%m月%d日 %H:%M} {request.pickup}→{request.destination}"[:100]


async def submit(person_id: int, client_ref: str, form: RequestForm, at: datetime) -> tuple[dict, bool]:
    """File a request and start its approval. The same client_ref from the same cadre files it
    once: a retry gets the first request back. Returns (request, created)."""
    _check(form, at)
    person = await people.person_summary(person_id)

    async def filed(conn: Any, _unlocked: None) -> tuple[dict, bool]:
        facts = await _facts(conn, person.unit_id, form)
        request = await TripRequest.create(
            requester_id=person_id,
            unit_id=person.unit_id,
            client_ref=client_ref,
            purpose=form.purpose,
            reason=form.reason.strip(),
            passengers=form.passengers,
            pickup=form.pickup.strip(),
            pickup_lat=form.pickup_lat,
            pickup_lng=form.pickup_lng,
            destination=form.destination.strip(),
            outside_city=form.outside_city,
            starts_at=form.starts_at,
            ends_at=form.ends_at,
            return_trip=form.return_trip,
            estimated_km=form.estimated_km,
            emergency="sealed_period" in facts,
            created_at=at,
            using_db=conn,
        )
        subject = Subject(KIND, request.id, person.unit_id, person_id, _title(request, person.name))
        started = await approvals.start(conn, subject, facts, at)
        # In a sealing period the request must go through the emergency step the flow sets.
        if request.emergency and not any(step.condition == "sealed_period" for step in started.steps):
            seal = await sealing.seal_covering(conn, form.starts_at, form.ends_at)
            raise FleetError.SEALED_NO_EMERGENCY_STEP.error(name=seal.name if seal else "")
        return await _view(conn, request.id), True

    async def replayed(existing: TripRequest) -> tuple[dict, bool]:
        return await _view(None, existing.id), False

    return await idempotency.run_once(
        filed,
        find=lambda conn: TripRequest.get_or_none(requester_id=person_id, client_ref=client_ref).using_db(conn),
        replay=replayed,
    )


async def decided(conn: Any, request_id: int, outcome: ApprovalOutcome, at: datetime) -> None:
    """The approval chain's end (called by backend.approvals in its transaction)."""
    request = await TripRequest.filter(id=request_id).using_db(conn).select_for_update().get()
    if request.state != RequestState.PENDING:
        return
    if outcome == ApprovalOutcome.APPROVED:
        request.state, request.approved_at = RequestState.APPROVED, at
    else:
        approval = await approvals.of_subject(KIND, request_id, conn)
        refusing = [step for step in approval.steps if step.state == "refused"] if approval else []
        request.state = RequestState.REFUSED
        request.refusal_reason = refusing[-1].comment[:500] if refusing else ""
    await request.save(using_db=conn, update_fields=["state", "approved_at", "refusal_reason"])
    await notices.tell_requester(conn, request.id, at)


async def cancel(person_id: int, request_id: int, at: datetime) -> dict:
    """The requester withdraws a request not yet dispatched; a pending approval is cancelled
    with it, so no approver can decide it afterwards."""
    async with in_transaction() as conn:
        await approvals.lock_of_subject(conn, KIND, request_id)
        request = await TripRequest.filter(id=request_id).using_db(conn).select_for_update().first()
        if request is None or request.requester_id != person_id:
            raise FleetError.NOT_YOUR_REQUEST.error()
        if request.state not in CANCELLABLE:
            raise FleetError.REQUEST_STATE.error(state=request.state.label, action="取消")
        if request.state == RequestState.PENDING:
            await approvals.cancel(conn, KIND, request.id, at)
        request.state, request.cancelled_at = RequestState.CANCELLED, at
        await request.save(using_db=conn, update_fields=["state", "cancelled_at"])
        return await _view(conn, request.id)


async def _view(conn: Any, request_id: int) -> dict:
    request = await TripRequest.get(id=request_id).using_db(conn)
    trip = (
        await Trip.filter(request_id=request_id)
        .exclude(state=TripState.CANCELLED)
        .using_db(conn)
        .select_related("vehicle", "driver__person", "rental_company")
        .first()
    )
    approval = await approvals.of_subject(KIND, request_id, conn)
    return {
        "id": request.id,
        "state": request.state.value,
        "state_label": request.state.label,
        "purpose": request.purpose.value,
        "purpose_label": request.purpose.label,
        "reason": request.reason,
        "passengers": request.passengers,
        "pickup": request.pickup,
        "destination": request.destination,
        "outside_city": request.outside_city,
        "starts_at": request.starts_at,
        "ends_at": request.ends_at,
        "return_trip": request.return_trip,
        "estimated_km": request.estimated_km,
        "emergency": request.emergency,
        "created_at": request.created_at,
        "approval": _approval_outline(approval) if approval else None,
        "trip": _trip_outline(trip) if trip else None,
        "rating": request.rating,
        "refusal_reason": request.refusal_reason,
    }


def _approval_outline(approval: approvals.ApprovalView) -> dict:
    return {
        "id": approval.id,
        "state": approval.state,
        "state_label": approval.state_label,
        "steps": [
            {
                "position": step.position,
                "title": step.title,
                "role_label": step.role_label,
                "state": step.state,
                "state_label": step.state_label,
                "decided_by": step.decided_by["name"] if step.decided_by else None,
                "decided_at": step.decided_at,
                "comment": step.comment,
            }
            for step in approval.steps
        ],
    }


def _trip_outline(trip: Trip) -> dict:
    if trip.rental_company_id:
        car, driver = f"{trip.rental_company.name} {trip.rental_plate}".strip(), ""
    else:
        car, driver = trip.vehicle.plate, trip.driver.person.name
    return {"id": trip.id, "state": trip.state.value, "state_label": trip.state.label, "car": car, "driver": driver}


async def detail(person_id: int, request_id: int) -> dict:
    request = await TripRequest.get_or_none(id=request_id)
    if request is None or request.requester_id != person_id:
        raise FleetError.NOT_YOUR_REQUEST.error()
    return await _view(None, request_id)


async def mine(person_id: int, page: int, page_size: int) -> dict:
    """A cadre's own requests, the latest trips first."""
    found = await paginate(
        TripRequest.filter(requester_id=person_id), page, page_size, order_by=("-starts_at", "-id"), values=("id",)
    )
    return {**found.as_dict(), "items": [await _view(None, row["id"]) for row in found.items]}
