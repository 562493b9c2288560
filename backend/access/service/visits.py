"""Stand-in (helper G) for V's visits service: only what the guard post's pages call, with the
design's signatures; V's file wins."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from tortoise.transactions import in_transaction

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import HostConfirmation, PassKind, Visit, VisitSource, VisitState
from backend.access.service import passes, personal, screening
from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.core.crypto import FieldCipher


@dataclass
class VisitDraft:
    visitor_name: str
    phone: str
    company: str
    purpose: str
    window_start: datetime
    window_end: datetime
    building_ids: list[int]
    companions: list[str]
    plate: str | None


async def register_walk_in(
    actor: Actor,
    cipher: FieldCipher,
    settings: AccessSettings,
    draft: VisitDraft,
    id_number: str,
    host_id: int,
    screening_answers: dict,
    at: datetime,
) -> dict:
    name = personal.check_name(draft.visitor_name)
    id_number = personal.check_id_number(id_number)
    phone = personal.check_phone(draft.phone)
    plate = personal.check_plate(draft.plate) if draft.plate else None
    if not draft.building_ids:
        raise AccessError.BUILDING_INVALID.error()
    if draft.window_end <= draft.window_start:
        raise AccessError.WINDOW_INVALID.error(problem="结束时间应晚于开始时间")
    kept = screening.check_answers(await screening.current(), screening_answers)
    host = await people.person_summary(host_id)
    phone_encrypted, phone_index = personal.seal(cipher, phone, personal.PHONE)
    id_encrypted, id_index = personal.seal(cipher, id_number, personal.ID_NUMBER)
    plate_encrypted, plate_index = personal.seal(cipher, plate, personal.PLATE) if plate else (None, None)
    async with in_transaction() as conn:
        visit = await Visit.create(
            code=secrets.token_hex(6).upper(),
            source=VisitSource.WALK_IN,
            state=VisitState.AWAITING_HOST,
            host_id=host.id,
            host_unit_id=host.unit_id,
            visitor_name=name,
            phone_encrypted=phone_encrypted,
            phone_index=phone_index,
            id_number_encrypted=id_encrypted,
            id_number_index=id_index,
            company=draft.company,
            purpose=draft.purpose,
            companions=draft.companions,
            plate_encrypted=plate_encrypted,
            plate_index=plate_index,
            plate_masked=personal.mask_plate(plate) if plate else "",
            window_start=draft.window_start,
            window_end=draft.window_end,
            building_ids=draft.building_ids,
            screening=kept,
            registered_by_id=actor.admin_id,
            using_db=conn,
        )
        await record(conn, actor, "access.register_walk_in", "visit", visit.id, after={"host_id": host.id})
    return {"id": visit.id, "code": visit.code, "state": visit.state.value}


async def confirm_by_phone(actor: Actor, settings: AccessSettings, visit_id: int, at: datetime) -> dict:
    async with in_transaction() as conn:
        visit = await Visit.select_for_update().using_db(conn).get_or_none(id=visit_id)
        if visit is None:
            raise AccessError.VISIT_NOT_FOUND.error()
        if visit.state is not VisitState.AWAITING_HOST or visit.source is not VisitSource.WALK_IN:
            raise AccessError.VISIT_STATE.error(state=visit.state.label, action="电话确认")
        visit.state = VisitState.READY
        visit.host_confirmed_via = HostConfirmation.PHONE
        visit.host_confirmed_at = at
        await visit.save(using_db=conn)
        await passes.issue(conn, visit, PassKind.SLIP, at, max_entries=1)
        await record(conn, actor, "access.confirm_by_phone", "visit", visit.id, after={"state": visit.state.value})
    return {"id": visit.id, "state": visit.state.value}


async def revoke(actor_or_host: Actor | int, visit_id: int, reason: str, at: datetime) -> dict:
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise AccessError.TEXT_TOO_LONG.error(field="撤销原因", most=200)
    async with in_transaction() as conn:
        visit = await Visit.select_for_update().using_db(conn).get_or_none(id=visit_id)
        if visit is None:
            raise AccessError.VISIT_NOT_FOUND.error()
        if visit.state not in (VisitState.AWAITING_VISITOR, VisitState.AWAITING_HOST, VisitState.READY):
            raise AccessError.VISIT_STATE.error(state=visit.state.label, action="撤销")
        visit.state, visit.revoked_at, visit.revoked_reason = VisitState.REVOKED, at, reason
        await visit.save(using_db=conn)
        await passes.revoke_all(conn, visit.id, at)
        if isinstance(actor_or_host, Actor):
            await record(conn, actor_or_host, "access.revoke_visit", "visit", visit.id, after={"reason": reason})
    return {"id": visit.id, "state": visit.state.value}
