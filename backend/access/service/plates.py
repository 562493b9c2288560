"""The decision on a plate a vehicle gate's camera read: a blacklisted plate is refused; an official
car of the fleet in service, an approved staff car within its hours and its unit's monthly quota,
or a visitor's car on a visit valid now for the gate's building is let in and the barrier lifted;
anything else is refused and put before the guard as a plate alert (one waiting per gate and
plate), who may open by hand.

Leaving is easier than entering: at an exit gate a known car is let out whatever its hours, quota
or visit window, so nobody is shut in. The same camera event (its event number) pushed again gets
the same decision and never a second pulse."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import (
    AccessEvent,
    Direction,
    EventSource,
    Gate,
    PlateAlert,
    PlateAlertState,
    SubjectKind,
    UnitQuota,
    Visit,
    VisitState,
)
from backend.access.service import barrier, blacklist, events, personal, vehicles
from backend.access.service.gatecheck import Decision
from backend.core.crypto import FieldCipher
from backend.core.errors import AppError, message_of
from backend.fleet.service import records as fleet_records

log = logging.getLogger(__name__)

VEHICLE_IN_USE = "in_use"  # fleet's VehicleStatus.IN_USE, as its service views give it
_WELCOME = {
    SubjectKind.OFFICIAL_CAR: "公务车，请通行",
    SubjectKind.STAFF_CAR: "职工车辆，请通行",
    SubjectKind.VISITOR_CAR: "访客车辆，请通行",
}
_GOODBYE = "再见，请慢行"
# A visit's car may come in while the visit is on; it may leave also after the visit ended.
_VISIT_IN = (VisitState.READY, VisitState.INSIDE, VisitState.LEFT)
_VISIT_OUT = (*_VISIT_IN, VisitState.NOT_SIGNED_OUT, VisitState.NO_SHOW)


class _Subject:
    """Who a plate turned out to be, before the event is booked."""

    def __init__(self, kind: SubjectKind, reason: str = "", *, unit_id=None, person_id=None, visit_id=None):
        self.kind, self.reason = kind, reason
        self.unit_id, self.person_id, self.visit_id = unit_id, person_id, visit_id


def camera_event_no(gate_code: str, camera_event_id: str) -> str:
    """`CAM-<gate code>-<camera's id>`, kept within the event number's 64 characters; a push
    without an id gets a random one (it cannot be recognised when repeated)."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "", camera_event_id)[:40] or uuid.uuid4().hex
    return f"CAM-{gate_code}-{cleaned}"[:64]


def _decision(allowed: bool, reason: str, subject: SubjectKind, direction: Direction) -> Decision:
    if allowed:
        message = _WELCOME.get(subject, "请通行") if direction == Direction.IN else _GOODBYE
        return Decision(True, "", message, None)
    return Decision(False, reason, message_of(reason), None)


def _replayed(event: AccessEvent) -> Decision:
    return _decision(event.allowed, event.reason, event.subject, event.direction)


async def _visit_of(conn: Any, gate: Gate, plate_index: str, at: datetime) -> _Subject | None:
    states = _VISIT_IN if gate.direction == Direction.IN else _VISIT_OUT
    visits = (
        await Visit.filter(plate_index=plate_index, state__in=states, window_start__lte=at)
        .using_db(conn)
        .order_by("-window_end")
    )
    visits = [v for v in visits if gate.building_id in (v.building_ids or [])]
    if not visits:
        return None
    if gate.direction == Direction.IN and visits[0].window_end < at:
        return _Subject(SubjectKind.VISITOR_CAR, AccessError.PASS_EXPIRED.code, visit_id=visits[0].id)
    return _Subject(SubjectKind.VISITOR_CAR, visit_id=visits[0].id, unit_id=visits[0].host_unit_id)


async def _staff_car(conn: Any, gate: Gate, plate: str, at: datetime) -> _Subject | None:
    vehicle = await vehicles.approved_for(conn, plate)
    if vehicle is None:
        return None
    subject = _Subject(SubjectKind.STAFF_CAR, unit_id=vehicle.unit_id, person_id=vehicle.person_id)
    if gate.direction == Direction.OUT:
        return subject
    if not vehicles.within_hours(vehicle, at):
        subject.reason = AccessError.PLATE_OUTSIDE_HOURS.code
        return subject
    # The quota row is locked so two cars of a unit at two gates cannot both take the last entry.
    await UnitQuota.filter(unit_id=vehicle.unit_id).using_db(conn).select_for_update().first()
    if await vehicles.quota_left(conn, vehicle.unit_id, at) == 0:
        subject.reason = AccessError.QUOTA_USED_UP.code
    return subject


async def _who(conn: Any, gate: Gate, plate: str, plate_index: str, official: bool, at: datetime) -> _Subject:
    if await blacklist.is_blocked(conn, plate_index=plate_index):
        return _Subject(SubjectKind.UNKNOWN_PLATE, AccessError.VISITOR_BLOCKED.code)
    if official:
        return _Subject(SubjectKind.OFFICIAL_CAR)
    staff = await _staff_car(conn, gate, plate, at)
    if staff is not None and not staff.reason:
        return staff
    visitor = await _visit_of(conn, gate, plate_index, at)
    if visitor is not None and not visitor.reason:
        return visitor
    return staff or visitor or _Subject(SubjectKind.UNKNOWN_PLATE, AccessError.PLATE_UNKNOWN.code)


async def _alert(conn: Any, cipher: FieldCipher, gate_id: int, plate: str, index: str, reason: str, at: datetime):
    waiting = (
        await PlateAlert.filter(gate_id=gate_id, plate_index=index, state=PlateAlertState.WAITING)
        .using_db(conn)
        .select_for_update()
        .first()
    )
    if waiting is not None:
        waiting.seen_at, waiting.reason = at, reason
        await waiting.save(using_db=conn, update_fields=["seen_at", "reason"])
        return
    await PlateAlert.create(
        using_db=conn,
        gate_id=gate_id,
        plate_encrypted=cipher.encrypt(plate, context=personal.PLATE),
        plate_index=index,
        plate_masked=personal.mask_plate(plate),
        reason=reason,
        state=PlateAlertState.WAITING,
        seen_at=at,
    )


def _read_plate(raw_plate: str) -> tuple[str, str]:
    """(plate, refusal code): a plate the camera misread is still shown to the guard as read."""
    try:
        return personal.check_plate(raw_plate), ""
    except AppError:
        return re.sub(r"\s", "", raw_plate or "").upper()[:10], AccessError.PLATE_INVALID.code


async def decide_plate(
    cipher: FieldCipher,
    settings: AccessSettings,
    gate_id: int,
    raw_plate: str,
    event_no: str,
    at: datetime,
    *,
    source_detail: dict,
) -> Decision:
    """Decide on the plate a camera of the gate read, book the event (source CAMERA) and lift the
    barrier when it is let in. `source_detail` (camera, confidence, protocol) goes with the event."""
    booked = await AccessEvent.get_or_none(event_no=event_no)
    if booked is not None:
        return _replayed(booked)
    gate = await Gate.get(id=gate_id)
    plate, invalid = _read_plate(raw_plate)
    index = personal.index_of(cipher, plate, personal.PLATE)
    official = False
    if not invalid:
        vehicle = await fleet_records.vehicle_by_plate(plate)
        official = vehicle is not None and vehicle["status"] == VEHICLE_IN_USE
    try:
        async with in_transaction() as conn:
            if not gate.is_active:
                subject = _Subject(SubjectKind.UNKNOWN_PLATE, AccessError.GATE_INACTIVE.code)
            elif invalid:
                subject = _Subject(SubjectKind.UNKNOWN, invalid)
            else:
                subject = await _who(conn, gate, plate, index, official, at)
            allowed = not subject.reason
            event = await events.record(
                conn,
                gate_id=gate.id,
                event_no=event_no,
                at=at,
                direction=gate.direction,
                subject=subject.kind,
                allowed=allowed,
                reason=subject.reason,
                source=EventSource.CAMERA,
                visit_id=subject.visit_id,
                person_id=subject.person_id,
                unit_id=subject.unit_id,
                plate_index=index,
                plate_masked=personal.mask_plate(plate),
                detail=source_detail,
            )
            if event is None:
                raise IntegrityError("event booked meanwhile")
            # A blacklisted car is not offered to the guard to let in with one click.
            if not allowed and subject.reason not in (AccessError.VISITOR_BLOCKED.code, AccessError.GATE_INACTIVE.code):
                await _alert(conn, cipher, gate.id, plate, index, subject.reason, at)
    except IntegrityError:
        # The same camera event pushed twice at once: the other push decided and lifted the barrier.
        return _replayed(await AccessEvent.get(event_no=event_no))
    decision = _decision(allowed, subject.reason, subject.kind, gate.direction)
    if allowed:
        status = await barrier.pulse(gate.id)
        if not status.usable:
            log.warning("gate %s let %s in but its barrier relay failed", gate.code, subject.kind.value)
    return decision
