"""The gate terminal's API (signed device requests): what it needs to decide offline (sync),
the online check of a pass or a staff card, and the upload of its journal.

STAND-IN written by K (kiosk gate mode) against the design's contract, so that the gate agent's
tests run against the real backend; P's device_api.py and service/ replace it at merge."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, Field
from sanic import Blueprint
from sanic.request import Request
from tortoise.transactions import in_transaction

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import (
    AccessEvent,
    Direction,
    EventSource,
    Gate,
    Presence,
    SubjectKind,
    Visit,
    VisitPass,
    VisitState,
)
from backend.access.service import tokens
from backend.accounts.guards import device_signed, runtime
from backend.accounts.service import people
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.core.web.apidocs import Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.modules import settings_of
from backend.wallet.service import charge, wallets

bp = Blueprint("access_device", url_prefix="/device/v1/access")

EVENT_NO = r"^[A-Za-z0-9_-]{8,64}$"
ACTIVE_VISIT = (VisitState.READY, VisitState.INSIDE, VisitState.LEFT)


class ScanIn(BaseModel):
    event_no: str = Field(pattern=EVENT_NO)
    token: str = Field(max_length=1000)


class CardIn(BaseModel):
    event_no: str = Field(pattern=EVENT_NO)
    card_uid: str = Field(max_length=64)


class EventIn(BaseModel):
    event_no: str = Field(pattern=EVENT_NO)
    at: AwareDatetime
    kind: str = Field(pattern="^(pass|card)$")
    token: str | None = Field(default=None, max_length=1000)
    card_uid: str | None = Field(default=None, max_length=64)
    allowed: bool
    reason: str = Field(default="", max_length=64)


class EventsIn(BaseModel):
    events: list[EventIn] = Field(max_length=200)


def _view(allowed: bool, reason: str = "", greeting: dict | None = None) -> dict:
    message = "请通行" if allowed else next(e.message for e in AccessError if e.code == reason)
    return {"allowed": allowed, "reason": reason, "message": message, "greeting": greeting if allowed else None}


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def _mask(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1)


async def _gate(request: Request) -> Gate:
    gate = await Gate.get_or_none(device_id=request.ctx.principal.device_id, is_active=True)
    if gate is None:
        raise AccessError.NOT_A_GATE_TERMINAL.error()
    return gate


def _settings(request: Request) -> AccessSettings:
    return settings_of(runtime(request).settings, "access")


async def _passes_of(gate: Gate, at: datetime) -> list[VisitPass]:
    passes = await VisitPass.filter(valid_until__gte=at).prefetch_related("visit")
    return [p for p in passes if gate.id in p.gate_ids]


@bp.get("/sync")
@api("门禁终端同步脱机核验数据", query=(Query("version", "终端已有的版本"), Query("cards_version", "终端已有的卡版本")))
@device_signed
async def sync(request: Request):
    """The gate, the public key, revoked passes and used entries, and the active staff cards' hashes."""
    gate, settings = await _gate(request), _settings(request)
    data_key = runtime(request).settings.data_key
    passes = await _passes_of(gate, now())
    revoked = sorted(p.id for p in passes if p.revoked_at or p.visit.state == VisitState.REVOKED)
    used = {str(p.id): p.entries_used for p in passes if p.entries_used}
    active = await wallets.active_cards_of(list(people.StaffCategory))
    cards = sorted(hashlib.sha256(uid.encode()).hexdigest() for uid, _ in active)
    body = {
        "gate": {
            "id": gate.id,
            "code": gate.code,
            "name": gate.name,
            "direction": gate.direction.value,
            "building": gate.building_id,
            "anti_passback": gate.anti_passback,
        },
        "public_key": tokens.public_key_b64(data_key),
        "key_id": tokens.key_id(data_key),
        "qr_step_seconds": settings.qr_step_seconds,
        "qr_tolerance_steps": settings.qr_tolerance_steps,
        "version": _digest([revoked, used]),
        "cards_version": _digest(cards),
    }
    if request.args.get("version") != body["version"]:
        body |= {"revoked": revoked, "used": used}
    if request.args.get("cards_version") != body["cards_version"]:
        body["cards"] = cards
    return ok(body)


async def _check_pass(request: Request, gate: Gate, token: str, at: datetime) -> tuple[str, tokens.Claims | None]:
    settings = _settings(request)
    try:
        claims = tokens.read(runtime(request).settings.data_key, token)
    except AppError as refusal:
        return refusal.code, None
    unix = int(at.timestamp())
    if claims.kind == "m" and abs(unix // settings.qr_step_seconds - (claims.step or 0)) > settings.qr_tolerance_steps:
        return AccessError.PASS_STALE.code, claims
    if unix < claims.not_before:
        return AccessError.PASS_NOT_YET_VALID.code, claims
    if unix > claims.not_after:
        return AccessError.PASS_EXPIRED.code, claims
    if gate.id not in claims.gate_ids:
        return AccessError.PASS_WRONG_GATE.code, claims
    held = await VisitPass.get_or_none(id=claims.pass_id).prefetch_related("visit")
    if held is None or held.revoked_at or held.visit.state == VisitState.REVOKED:
        return AccessError.PASS_REVOKED.code, claims
    if held.visit.state not in ACTIVE_VISIT:
        return AccessError.VISIT_NOT_ACTIVE.code, claims
    if gate.direction == Direction.IN and held.entries_used >= held.max_entries:
        return AccessError.PASS_USED_UP.code, claims
    if gate.anti_passback:
        inside = await Presence.exists(building_id=gate.building_id, subject_key=f"visit:{held.visit_id}")
        if gate.direction == Direction.IN and inside:
            return AccessError.ALREADY_INSIDE.code, claims
        if gate.direction == Direction.OUT and not inside:
            return AccessError.NOT_INSIDE.code, claims
    return "", claims


async def _record(
    gate: Gate,
    event_no: str,
    at: datetime,
    source: EventSource,
    kind: str,
    allowed: bool,
    reason: str,
    claims: tokens.Claims | None,
    person_id: int | None,
    greeting: dict | None,
) -> bool:
    """Book the decision once (False when the event number is known already)."""
    held = await VisitPass.get_or_none(id=claims.pass_id) if claims else None
    async with in_transaction() as conn:
        if await AccessEvent.filter(event_no=event_no).using_db(conn).exists():
            return False
        await AccessEvent.create(
            using_db=conn,
            event_no=event_no,
            gate_id=gate.id,
            at=at,
            direction=gate.direction,
            subject=SubjectKind.VISITOR if kind == "pass" else SubjectKind.STAFF,
            allowed=allowed,
            reason=reason,
            source=source,
            visit_id=held.visit_id if held else None,
            visit_pass_id=held.id if held else None,
            person_id=person_id,
            people_count=claims.people if claims else 1,
            detail={"greeting": greeting},
        )
        if not allowed or (held is None and person_id is None):
            return True
        key = f"visit:{held.visit_id}" if held else f"person:{person_id}"
        if gate.direction == Direction.IN:
            if not await Presence.filter(building_id=gate.building_id, subject_key=key).using_db(conn).exists():
                await Presence.create(
                    using_db=conn,
                    building_id=gate.building_id,
                    subject_key=key,
                    gate_id=gate.id,
                    entered_at=at,
                    subject=SubjectKind.VISITOR if held else SubjectKind.STAFF,
                    visit_id=held.visit_id if held else None,
                    person_id=person_id,
                    people_count=claims.people if claims else 1,
                )
        else:
            await Presence.filter(building_id=gate.building_id, subject_key=key).using_db(conn).delete()
        if held:
            if gate.direction == Direction.IN:
                held.entries_used += 1
                held.last_used_at = at
                await held.save(using_db=conn, update_fields=["entries_used", "last_used_at"])
                visit = await Visit.get(id=held.visit_id).using_db(conn)
                visit.state, visit.entered_at = VisitState.INSIDE, visit.entered_at or at
                await visit.save(using_db=conn, update_fields=["state", "entered_at"])
            else:
                await Visit.filter(id=held.visit_id).using_db(conn).update(state=VisitState.LEFT, left_at=at)
    return True


async def _known(event_no: str) -> dict | None:
    event = await AccessEvent.get_or_none(event_no=event_no)
    return None if event is None else _view(event.allowed, event.reason, (event.detail or {}).get("greeting"))


@bp.post("/scan")
@api("门禁终端联机核验通行码")
@device_signed
@accepts(ScanIn)
async def scan(request: Request, body: ScanIn):
    """A pass QR: allowed (booked) or refused with the reason; the same event_no again gives the same answer."""
    gate = await _gate(request)
    if known := await _known(body.event_no):
        return ok(known)
    at = now()
    reason, claims = await _check_pass(request, gate, body.token, at)
    greeting = {"name": claims.name, "host": claims.host, "people": claims.people} if claims and not reason else None
    await _record(gate, body.event_no, at, EventSource.ONLINE, "pass", not reason, reason, claims, None, greeting)
    return ok(await _known(body.event_no))


async def _check_card(uid: str) -> tuple[str, int | None, dict | None]:
    held = await charge.find_card(wallets.normalize_uid(uid)) if uid else None
    if held is None:
        return AccessError.CARD_UNKNOWN.code, None, None
    refusal = charge.card_refusal(held.state, held.holder)
    if refusal is not None:
        left = refusal == charge.ChargeRefusal.PERSON_INACTIVE
        return (AccessError.PERSON_LEFT if left else AccessError.CARD_NOT_USABLE).code, held.holder.id, None
    unit = (await people.units_by_id([held.holder.unit_id])).get(held.holder.unit_id)
    return "", held.holder.id, {"name": _mask(held.holder.name), "host": unit.name if unit else "", "people": 1}


@bp.post("/card")
@api("门禁终端联机核验职工卡")
@device_signed
@accepts(CardIn)
async def card(request: Request, body: CardIn):
    """A staff card: allowed for an active card of an active person."""
    gate = await _gate(request)
    if known := await _known(body.event_no):
        return ok(known)
    try:
        reason, person_id, greeting = await _check_card(body.card_uid)
    except AppError:  # not a card UID at all
        reason, person_id, greeting = AccessError.CARD_UNKNOWN.code, None, None
    await _record(gate, body.event_no, now(), EventSource.ONLINE, "card", not reason, reason, None, person_id, greeting)
    return ok(await _known(body.event_no))


@bp.post("/events")
@api("门禁终端上传脱机通行记录")
@device_signed
@accepts(EventsIn)
async def events(request: Request, body: EventsIn):
    """Decisions the terminal took offline: booked as decided, each event_no once."""
    gate = await _gate(request)
    results = []
    for event in body.events:
        claims, person_id, allowed, reason = None, None, event.allowed, event.reason
        if event.kind == "pass":
            try:
                claims = tokens.read(runtime(request).settings.data_key, event.token or "")
            except AppError:
                # A refusal keeps the terminal's reason; a token let in without our signature is tampered.
                allowed, reason = False, reason if not event.allowed else AccessError.PASS_TAMPERED.code
        else:
            try:
                held = await charge.find_card(wallets.normalize_uid(event.card_uid or ""))
            except AppError:
                results.append({"event_no": event.event_no, "result": "invalid"})
                continue
            person_id = held.holder.id if held else None
        recorded = await _record(
            gate,
            event.event_no,
            event.at.astimezone(UTC),
            EventSource.OFFLINE,
            event.kind,
            allowed,
            reason,
            claims,
            person_id,
            None,
        )
        results.append({"event_no": event.event_no, "result": "recorded" if recorded else "duplicate"})
    return ok({"results": results})
