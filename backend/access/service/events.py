"""The access log: `record` is the one place an event at a gate is booked, together with what it
changes (who is inside, the visit's state, the pass's entries), so nothing is half-written; and
the upload of a gate terminal's offline journal, each event booked once by its number."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.access.config import AccessSettings
from backend.access.models import (
    AccessEvent,
    Direction,
    EventSource,
    Gate,
    SubjectKind,
    Visit,
    VisitPass,
    VisitState,
)
from backend.access.service import notices, presence, tokens
from backend.core.errors import AppError, registered_codes
from backend.wallet.service import charge, wallets

log = logging.getLogger(__name__)

_CARS = (SubjectKind.OFFICIAL_CAR, SubjectKind.STAFF_CAR, SubjectKind.VISITOR_CAR, SubjectKind.UNKNOWN_PLATE)
# A visit an actual entry moves to INSIDE: also one marked no-show or signed out at the day's end
# before the entry was known (an offline journal uploaded late); a revoked visit stays as it is.
_ENTERING = (VisitState.READY, VisitState.INSIDE, VisitState.LEFT, VisitState.NO_SHOW, VisitState.NOT_SIGNED_OUT)
# Whose entries and exits move the visit: the visitor on foot or by the visit's car.
_OF_VISIT = (SubjectKind.VISITOR, SubjectKind.VISITOR_CAR)


def _presence_key(subject: SubjectKind, visit_id, person_id, plate_index) -> str | None:
    if subject in _CARS:
        return presence.plate_key(plate_index) if plate_index else None
    if visit_id is not None:
        return presence.visit_key(visit_id)
    if person_id is not None:
        return presence.person_key(person_id)
    return None


async def exists(conn: Any, event_no: str) -> AccessEvent | None:
    return await AccessEvent.filter(event_no=event_no).using_db(conn).first()


async def record(
    conn: Any,
    *,
    gate_id: int,
    event_no: str,
    at: datetime,
    direction: Direction,
    subject: SubjectKind,
    allowed: bool,
    reason: str,
    source: EventSource,
    visit_id: int | None = None,
    pass_id: int | None = None,
    person_id: int | None = None,
    unit_id: int | None = None,
    plate_index: str | None = None,
    plate_masked: str = "",
    people: int = 1,
    detail: dict | None = None,
) -> AccessEvent | None:
    """Book one decision and, when allowed, what it changes; None when `event_no` is booked
    already (the caller answers it as a duplicate). Runs in the caller's transaction."""
    if await exists(conn, event_no) is not None:
        return None
    event = await AccessEvent.create(
        using_db=conn,
        event_no=event_no,
        gate_id=gate_id,
        at=at,
        direction=direction,
        subject=subject,
        allowed=allowed,
        reason=reason,
        source=source,
        visit_id=visit_id,
        visit_pass_id=pass_id,
        person_id=person_id,
        unit_id=unit_id,
        plate_index=plate_index,
        plate_masked=plate_masked,
        people_count=people,
        detail=detail or {},
    )
    if not allowed:
        return event
    building_id = (await Gate.get(id=gate_id).using_db(conn).only("id", "building_id")).building_id
    key = _presence_key(subject, visit_id, person_id, plate_index)
    if direction == Direction.IN:
        if key is not None:
            await presence.enter(
                conn,
                building_id=building_id,
                subject=subject,
                key=key,
                gate_id=gate_id,
                at=at,
                visit_id=visit_id,
                person_id=person_id,
                plate_masked=plate_masked,
                people=people,
            )
        if pass_id is not None:
            await (
                VisitPass.filter(id=pass_id).using_db(conn).update(entries_used=F("entries_used") + 1, last_used_at=at)
            )
        if visit_id is not None and subject in _OF_VISIT:
            await _entered(conn, visit_id, at)
    else:
        if key is not None:
            await presence.leave(conn, building_id, key)
        if visit_id is not None and subject in _OF_VISIT:
            await (
                Visit.filter(id=visit_id, state=VisitState.INSIDE)
                .using_db(conn)
                .update(state=VisitState.LEFT, left_at=at)
            )
    return event


async def _entered(conn: Any, visit_id: int, at: datetime) -> None:
    """The visit is inside; on its first entry the host is told the visitor arrived."""
    await Visit.filter(id=visit_id, state__in=_ENTERING).using_db(conn).update(state=VisitState.INSIDE)
    if await Visit.filter(id=visit_id, entered_at__isnull=True).using_db(conn).update(entered_at=at):
        await notices.tell_host(conn, await Visit.get(id=visit_id).using_db(conn), at)


def _upload_problem(event: dict) -> str | None:
    """Why an uploaded event cannot be booked as it stands (it is answered `invalid`)."""
    if event["kind"] == "pass" and not event.get("token"):
        return "no token"
    if event["kind"] == "card" and not event.get("card_hash"):
        return "no card"
    reason = event.get("reason") or ""
    if event["allowed"] and reason:
        return "allowed with a reason"
    if not event["allowed"] and not (reason.startswith("access.") and reason in registered_codes()):
        return "unknown reason"
    return None


async def _pass_fields(data_key: bytes, event: dict) -> dict:
    """What an uploaded pass event books: the terminal decided, so only the signature is checked
    (a token that does not hold is booked refused, whatever the terminal said)."""
    try:
        claims = tokens.read(data_key, event["token"])
    except AppError as exc:
        return {
            "subject": SubjectKind.UNKNOWN,
            "allowed": False,
            "reason": exc.code,
            "detail": {"terminal": event["reason"]},
        }
    found = await VisitPass.filter(id=claims.pass_id).values_list("visit_id", flat=True)
    visit_id = found[0] if found else None
    return {
        "subject": SubjectKind.VISITOR,
        "allowed": event["allowed"],
        "reason": event["reason"],
        "visit_id": visit_id,
        "pass_id": claims.pass_id if visit_id is not None else None,
        "people": claims.people,
        "detail": {"name": claims.name, "host": claims.host},
    }


async def usable_cards_by_hash() -> dict[str, str]:
    """{SHA-256 of the UID: UID} of the cards a gate terminal may let in offline: the terminal
    keeps and uploads only the hash (as the sync gave it), never the card number."""
    return {hashlib.sha256(uid.encode()).hexdigest(): uid for uid in await wallets.usable_card_uids()}


async def _card_fields(event: dict, cards: dict[str, str]) -> dict:
    """A card the terminal let in offline may have been cancelled since the sync: the entry is
    booked all the same, without a holder (the log says the card is no longer known)."""
    uid = cards.get(event["card_hash"])
    card = await charge.find_card(uid) if uid else None
    fields: dict = {"subject": SubjectKind.STAFF, "allowed": event["allowed"], "reason": event["reason"]}
    if card is not None:
        fields |= {"person_id": card.holder.id, "unit_id": card.holder.unit_id}
    fields["detail"] = {"card": wallets.mask_uid(card.uid) if card else "已失效或未知的卡"}
    return fields


async def upload(data_key: bytes, settings: AccessSettings, gate_id: int, events: list[dict]) -> list[dict]:
    """Book a terminal's offline journal: each event once by its number (`duplicate` when this
    gate booked it before, `invalid` when another gate did), in the order taken, one transaction
    each so one bad event spoils no other."""
    gate = await Gate.get(id=gate_id)
    cards = await usable_cards_by_hash() if any(e["kind"] == "card" for e in events) else {}
    results = []
    for event in sorted(events, key=lambda e: e["at"]):
        if _upload_problem(event) is not None:
            results.append({"event_no": event["event_no"], "result": "invalid"})
            continue
        if (earlier := await exists(None, event["event_no"])) is not None:
            results.append(
                {"event_no": event["event_no"], "result": "duplicate" if earlier.gate_id == gate.id else "invalid"}
            )
            continue
        fields = await (_pass_fields(data_key, event) if event["kind"] == "pass" else _card_fields(event, cards))
        try:
            async with in_transaction() as conn:
                booked = await record(
                    conn,
                    gate_id=gate.id,
                    event_no=event["event_no"],
                    at=event["at"],
                    direction=gate.direction,
                    source=EventSource.OFFLINE,
                    **fields,
                )
        except IntegrityError:
            booked = None  # the same event uploaded twice at once: the other upload booked it
        results.append({"event_no": event["event_no"], "result": "recorded" if booked else "duplicate"})
    log.info(
        "gate %s uploaded %d offline events: %d recorded",
        gate.code,
        len(events),
        sum(r["result"] == "recorded" for r in results),
    )
    return results
