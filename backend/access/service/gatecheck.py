"""The online decisions at a pedestrian gate: a scanned pass or a staff card, each decided and
booked in one transaction (the pass's row locked, so two gates scanning one single-entry slip at
once let one person in). The checks come in the order the terminal applies offline, so a pass
is refused for the same reason either way. A repeated event number gets the first decision (at
the gate that booked it; another gate's repeat is refused). Going out is never held up: at an exit
a pass is checked for its signature, this gate and (online) that it exists, nothing more."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import AccessEvent, Direction, EventSource, Gate, SubjectKind, Visit, VisitPass, VisitState
from backend.access.service import blacklist, events, passes, presence, tokens
from backend.access.service.personal import mask_name
from backend.accounts.service import people
from backend.core.errors import AppError, message_of
from backend.places import service as places
from backend.wallet.service import charge, wallets

log = logging.getLogger(__name__)

_ACTIVE = (VisitState.READY, VisitState.INSIDE, VisitState.LEFT)
# Judges a decision: returns the greeting or raises _Refused, filling the booking (see _decide).
Judge = Callable[[Any, Gate, dict], Awaitable[dict]]
_WELCOME = {Direction.IN: "欢迎，请通行", Direction.OUT: "再见，请通行"}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    message: str
    greeting: dict | None

    def view(self) -> dict:
        return {"allowed": self.allowed, "reason": self.reason, "message": self.message, "greeting": self.greeting}


class _Refused(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def allowed(direction: Direction, greeting: dict) -> Decision:
    return Decision(True, "", _WELCOME[direction], greeting)


def refused(code: str) -> Decision:
    return Decision(False, code, message_of(code), None)


def decision_of(event: AccessEvent) -> Decision:
    """The decision an event booked (a repeated event number is answered with it)."""
    if not event.allowed:
        return refused(event.reason)
    return allowed(event.direction, event.detail.get("greeting") or {})


def _active(gate: Gate) -> None:
    if not gate.is_active:
        raise _Refused(AccessError.GATE_INACTIVE.code)


async def _anti_passback(conn: Any, gate: Gate, key: str) -> None:
    """A second entry without an exit between is refused. An exit never is: an entry the gate
    did not see (a door held open, presence cleared at the day's end) must not hold anyone in."""
    if gate.anti_passback and gate.direction == Direction.IN:
        if await presence.is_inside(conn, gate.building_id, key):
            raise _Refused(AccessError.ALREADY_INSIDE.code)


def _check_claims(settings: AccessSettings, claims: tokens.Claims, gate: Gate, at: datetime) -> None:
    if gate.direction == Direction.OUT:
        # Leaving is not held up by time: an overstaying visitor's pass still lets them out.
        if gate.id not in claims.gate_ids:
            raise _Refused(AccessError.PASS_WRONG_GATE.code)
        return
    unix = int(at.timestamp())
    if claims.kind == "m" and abs(unix // settings.qr_step_seconds - (claims.step or 0)) > settings.qr_tolerance_steps:
        raise _Refused(AccessError.PASS_STALE.code)
    if unix < claims.not_before:
        raise _Refused(AccessError.PASS_NOT_YET_VALID.code)
    if unix > claims.not_after:
        raise _Refused(AccessError.PASS_EXPIRED.code)
    if gate.id not in claims.gate_ids:
        raise _Refused(AccessError.PASS_WRONG_GATE.code)


async def _locked_pass(conn: Any, gate: Gate, claims: tokens.Claims) -> tuple[VisitPass, Visit]:
    """The pass and its visit, the pass's row locked first: another gate's decision on the same
    pass waits for ours, then sees its entry. A revoked pass still lets its holder out."""
    visit_pass = await VisitPass.filter(id=claims.pass_id).using_db(conn).select_for_update().first()
    if visit_pass is None or (visit_pass.revoked_at is not None and gate.direction == Direction.IN):
        raise _Refused(AccessError.PASS_REVOKED.code)
    return visit_pass, await Visit.get(id=visit_pass.visit_id).using_db(conn)


async def _check_visit(conn: Any, gate: Gate, visit_pass: VisitPass, visit: Visit) -> None:
    if gate.direction == Direction.OUT:
        return  # whatever the visit's state, entries or the blacklist say, nobody is held in
    if visit.state not in _ACTIVE:
        raise _Refused(AccessError.VISIT_NOT_ACTIVE.code)
    if await blacklist.is_blocked(
        conn, id_index=visit.id_number_index, phone_index=visit.phone_index, plate_index=visit.plate_index
    ):
        raise _Refused(AccessError.VISITOR_BLOCKED.code)
    if visit_pass.entries_used >= visit_pass.max_entries:
        raise _Refused(AccessError.PASS_USED_UP.code)
    await _anti_passback(conn, gate, presence.visit_key(visit.id))


def _repeated(earlier: AccessEvent, gate_id: int) -> Decision:
    """The answer to an event number booked before: its decision at the same gate; from another
    gate it is refused (that gate's decision says nothing about this credential here)."""
    if earlier.gate_id != gate_id:
        log.warning("event %s repeated at gate %s, booked at gate %s", earlier.event_no, gate_id, earlier.gate_id)
        return refused(AccessError.EVENT_INVALID.code)
    return decision_of(earlier)


async def _decide(gate_id: int, event_no: str, at: datetime, judge: Judge) -> Decision:
    """Judge and book one decision in its transaction. `judge` returns the greeting or raises
    _Refused, and fills `booking` with whom the event concerns. A repeated (or concurrently
    repeated) event number is answered with the decision booked first."""

    async def run(conn: Any) -> Decision:
        if (earlier := await events.exists(conn, event_no)) is not None:
            return _repeated(earlier, gate_id)
        gate = await Gate.get(id=gate_id).using_db(conn)
        booking: dict = {"subject": SubjectKind.UNKNOWN}
        try:
            _active(gate)
            decision = allowed(gate.direction, await judge(conn, gate, booking))
        except _Refused as refusal:
            decision = refused(refusal.code)
        detail = booking.pop("detail", {}) | ({"greeting": decision.greeting} if decision.allowed else {})
        await events.record(
            conn,
            gate_id=gate_id,
            event_no=event_no,
            at=at,
            direction=gate.direction,
            allowed=decision.allowed,
            reason=decision.reason,
            source=EventSource.ONLINE,
            detail=detail,
            **booking,
        )
        log.info("gate %s event %s: %s", gate.code, event_no, decision.reason or "allowed")
        return decision

    try:
        async with in_transaction() as conn:
            return await run(conn)
    except IntegrityError:
        earlier = await events.exists(None, event_no)
        if earlier is None:
            raise
        return _repeated(earlier, gate_id)


async def scan(
    data_key: bytes, settings: AccessSettings, gate_id: int, token: str, event_no: str, at: datetime
) -> Decision:
    """Decide a scanned pass at the gate and book the decision (allowed or not)."""

    async def judge(conn: Any, gate: Gate, booking: dict) -> dict:
        try:
            claims = tokens.read(data_key, token)
        except AppError as exc:
            raise _Refused(exc.code) from None
        booking |= {"subject": SubjectKind.VISITOR, "people": claims.people}
        _check_claims(settings, claims, gate, at)
        visit_pass, visit = await _locked_pass(conn, gate, claims)
        booking |= {"visit_id": visit.id, "pass_id": visit_pass.id}
        await _check_visit(conn, gate, visit_pass, visit)
        return {"name": claims.name, "host": claims.host, "people": claims.people}

    return await _decide(gate_id, event_no, at, judge)


async def card(gate_id: int, card_uid: str, event_no: str, at: datetime) -> Decision:
    """Decide a staff card at the gate: a card the wallet knows, active, its holder still on
    the roster; then anti-passback if the gate keeps it."""
    try:
        held = await charge.find_card(wallets.normalize_uid(card_uid))
    except AppError:
        held = None

    async def judge(conn: Any, gate: Gate, booking: dict) -> dict:
        if held is None:
            raise _Refused(AccessError.CARD_UNKNOWN.code)
        holder = held.holder
        booking |= {
            "subject": SubjectKind.STAFF,
            "person_id": holder.id,
            "unit_id": holder.unit_id,
            "detail": {"card": wallets.mask_uid(held.uid)},
        }
        if (refusal := charge.card_refusal(held.state, holder)) is not None:
            left = refusal == charge.ChargeRefusal.PERSON_INACTIVE
            raise _Refused((AccessError.PERSON_LEFT if left else AccessError.CARD_NOT_USABLE).code)
        await _anti_passback(conn, gate, presence.person_key(holder.id))
        unit = (await people.units_by_id([holder.unit_id])).get(holder.unit_id)
        return {"name": mask_name(holder.name), "host": unit.name if unit else "", "people": 1}

    return await _decide(gate_id, event_no, at, judge)


def _digest(values: list[str]) -> str:
    return hashlib.sha256("\n".join(values).encode()).hexdigest()[:16]


async def terminal_sync(
    data_key: bytes, settings: AccessSettings, gate_id: int, at: datetime, version: str, cards_version: str
) -> dict:
    """Everything a gate terminal decides offline with: its gate, the public key, the QR time
    step, the revoked and used passes naming the gate and the staff cards that may pass (as
    SHA-256 of the UID, so the terminal holds no card number). Lists whose version the terminal
    already holds are left out."""
    gate = await Gate.get(id=gate_id)
    building = (await places.full_names([gate.building_id])).get(gate.building_id, "")
    answer: dict = {
        "gate": {
            "id": gate.id,
            "code": gate.code,
            "name": gate.name,
            "direction": gate.direction.value,
            "building": building,
            "anti_passback": gate.anti_passback,
        },
        "public_key": tokens.public_key_b64(data_key),
        "key_id": tokens.key_id(data_key),
        "qr_step_seconds": settings.qr_step_seconds,
        "qr_tolerance_steps": settings.qr_tolerance_steps,
        "server_time": at.isoformat(),
    }
    state = await passes.sync_for_gate(gate_id, at)
    answer["version"] = state["version"]
    if version != state["version"]:
        answer |= {"revoked": state["revoked"], "used": state["used"]}
    cards = sorted(await events.usable_cards_by_hash())
    answer["cards_version"] = _digest(cards)
    if cards_version != answer["cards_version"]:
        answer["cards"] = cards
    return answer
