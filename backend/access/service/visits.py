"""Visits from the invitation (or the visitor's own request, or the guard's walk-in registration)
to the pass: each decision checks the visitor's details and the blacklist, and changes the visit,
its passes and the notice to the host in one transaction. The visitor has no account: a one-time
link is exchanged for a visitor token, and only the hashes of both are kept. Every view is
masked; the full details come only through personal.unmask."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import (
    AccessEvent,
    BlockKind,
    HostConfirmation,
    PassKind,
    PlateAlert,
    Presence,
    Visit,
    VisitPass,
    VisitSource,
    VisitState,
)
from backend.access.service import blacklist, notices, passes, personal, presence, screening
from backend.accounts.service import people
from backend.core import audit
from backend.core.audit import Actor
from backend.core.crypto import FieldCipher
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, day_start
from backend.places import service as places

MAX_WINDOW_DAYS = 30
COMPANY_MAX, PURPOSE_MAX, REASON_MAX = 100, 200, 200
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
# A visit before anyone entered: still waiting on someone, or granted.
NOT_ENTERED = (VisitState.AWAITING_VISITOR, VisitState.AWAITING_HOST, VisitState.READY)
ENDED = (VisitState.LEFT, VisitState.NO_SHOW, VisitState.NOT_SIGNED_OUT, VisitState.REFUSED, VisitState.REVOKED)
_INDEX_FIELD = {BlockKind.ID_NUMBER: "id_number_index", BlockKind.PHONE: "phone_index", BlockKind.PLATE: "plate_index"}


@dataclass
class VisitDraft:
    visitor_name: str
    phone: str
    company: str
    purpose: str
    window_start: datetime
    window_end: datetime
    building_ids: list[int]
    companions: list[str] = field(default_factory=list)
    plate: str | None = None


@dataclass(frozen=True)
class _Checked:
    name: str
    phone: str
    company: str
    purpose: str
    window_start: datetime
    window_end: datetime
    building_ids: list[int]
    companions: list[str]
    plate: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _short_text(raw: str | None, what: str, most: int) -> str:
    text = " ".join((raw or "").split())
    if len(text) > most:
        raise AccessError.TEXT_TOO_LONG.error(field=what, most=most)
    return text


def check_window(start: datetime, end: datetime, at: datetime) -> None:
    if end <= start:
        raise AccessError.WINDOW_INVALID.error(problem="结束时间应晚于开始时间")
    if end <= at:
        raise AccessError.WINDOW_INVALID.error(problem="结束时间已过")
    if end - start > timedelta(days=MAX_WINDOW_DAYS):
        raise AccessError.WINDOW_INVALID.error(problem=f"一次来访最长 {MAX_WINDOW_DAYS} 天")


async def building_choices() -> list[dict]:
    """The buildings a visit may name, by name."""
    return [{"id": b["id"], "name": b["full_name"]} for b in await places.buildings()]


async def _check_buildings(building_ids: list[int]) -> list[int]:
    wanted = sorted({int(b) for b in building_ids or []})
    active = {building["id"] for building in await places.buildings()}
    if not wanted or not set(wanted) <= active:
        raise AccessError.BUILDING_INVALID.error()
    return wanted


def _check_companions(raw: list[str], most: int) -> list[str]:
    names = list(raw or [])
    if len(names) > most:
        raise AccessError.COMPANIONS_INVALID.error(most=most)
    checked = []
    for name in names:
        try:
            checked.append(personal.check_name(name))
        except AppError:
            raise AccessError.COMPANIONS_INVALID.error(most=most) from None
    return checked


async def _check_draft(settings: AccessSettings, draft: VisitDraft, at: datetime) -> _Checked:
    name = personal.check_name(draft.visitor_name)
    phone = personal.check_phone(draft.phone)
    company = _short_text(draft.company, "单位", COMPANY_MAX)
    purpose = _short_text(draft.purpose, "来访事由", PURPOSE_MAX)
    check_window(draft.window_start, draft.window_end, at)
    buildings = await _check_buildings(draft.building_ids)
    companions = _check_companions(draft.companions, settings.max_companions)
    plate = personal.check_plate(draft.plate) if (draft.plate or "").strip() else None
    return _Checked(name, phone, company, purpose, draft.window_start, draft.window_end, buildings, companions, plate)


def _sealed(cipher: FieldCipher, checked: _Checked, id_number: str | None) -> dict:
    """The visit's columns of personal data: encrypted, indexed, the plate also masked."""
    values: dict[str, Any] = {}
    values["phone_encrypted"], values["phone_index"] = personal.seal(cipher, checked.phone, personal.PHONE)
    if id_number:
        values["id_number_encrypted"], values["id_number_index"] = personal.seal(cipher, id_number, personal.ID_NUMBER)
    if checked.plate:
        values["plate_encrypted"], values["plate_index"] = personal.seal(cipher, checked.plate, personal.PLATE)
        values["plate_masked"] = personal.mask_plate(checked.plate)
    return values


def _indexes(visit: Visit) -> dict:
    return {
        "id_number_index": visit.id_number_index,
        "phone_index": visit.phone_index,
        "plate_index": visit.plate_index,
    }


async def _refuse_blocked(conn: Any, indexes: dict) -> None:
    """BLOCKED if the visitor's ID number, phone or plate (blind indexes named as the visit's
    columns) is on the blacklist."""
    await blacklist.check(
        conn,
        id_index=indexes.get("id_number_index"),
        phone_index=indexes.get("phone_index"),
        plate_index=indexes.get("plate_index"),
    )


async def _new_code(conn: Any) -> str:
    while True:
        code = "V" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(9))
        if not await Visit.filter(code=code).using_db(conn).exists():
            return code


async def _host(host_id: int, conn: Any = None) -> people.PersonSummary:
    host = await people.person_summary(host_id, using_db=conn)
    if not host.is_active:
        raise AccessError.HOST_NOT_FOUND.error()
    return host


async def _create(conn: Any, checked: _Checked, sealed: dict, **more: Any) -> Visit:
    return await Visit.create(
        code=await _new_code(conn),
        visitor_name=checked.name,
        company=checked.company,
        purpose=checked.purpose,
        companions=checked.companions,
        window_start=checked.window_start,
        window_end=checked.window_end,
        building_ids=checked.building_ids,
        **sealed,
        **more,
        using_db=conn,
    )


async def _awaiting_host(
    conn: Any,
    checked: _Checked,
    sealed: dict,
    host: people.PersonSummary,
    source: VisitSource,
    at: datetime,
    **more: Any,
) -> Visit:
    """A visit asked for or registered, waiting for its host, who is told."""
    visit = await _create(
        conn,
        checked,
        sealed,
        source=source,
        state=VisitState.AWAITING_HOST,
        host_id=host.id,
        host_unit_id=host.unit_id,
        **more,
    )
    await notices.tell_host(conn, visit, at)
    return visit


async def _locked(conn: Any, visit_id: int) -> Visit:
    visit = await Visit.filter(id=visit_id).using_db(conn).select_for_update().first()
    if visit is None:
        raise AccessError.VISIT_NOT_FOUND.error()
    return visit


def _refuse_state(visit: Visit, action: str) -> None:
    raise AccessError.VISIT_STATE.error(state=visit.state.label, action=action)


async def _grant(conn: Any, settings: AccessSettings, visit: Visit, kind: PassKind, at: datetime) -> None:
    visit.state = VisitState.READY
    await visit.save(using_db=conn)
    entries = settings.pass_entries if kind == PassKind.MOBILE else 1
    await passes.issue(conn, visit, kind, at, max_entries=entries)


# ---- views -----------------------------------------------------------------------------------


async def visit_views(visits: list[Visit], audience: str, cipher: FieldCipher | None = None) -> list[dict]:
    """The visits as `audience` ("host", "visitor" or "console") sees them, always masked; with
    `cipher`, the masked phone and ID number are added (they are kept only encrypted)."""
    hosts = {p.id: p for p in await people.people_summaries(v.host_id for v in visits)}
    units = await people.units_by_id(v.host_unit_id for v in visits)
    names = await places.full_names({b for v in visits for b in v.building_ids})
    views = []
    for visit in visits:
        host = hosts.get(visit.host_id)
        host_name = host.name if host else ""
        view = {
            "id": visit.id,
            "code": visit.code,
            "source": visit.source.value,
            "source_label": visit.source.label,
            "state": visit.state.value,
            "state_label": visit.state.label,
            "visitor_name": personal.mask_name(visit.visitor_name),
            "company": visit.company,
            "purpose": visit.purpose,
            "companions": [personal.mask_name(name) for name in visit.companions],
            "people": 1 + len(visit.companions),
            "plate": visit.plate_masked,
            "window_start": visit.window_start,
            "window_end": visit.window_end,
            "buildings": [{"id": b, "name": names.get(b, "")} for b in visit.building_ids],
            "host_name": personal.mask_name(host_name) if audience == "visitor" else host_name,
            "refused_reason": visit.refused_reason,
            "revoked_reason": visit.revoked_reason,
            "entered_at": visit.entered_at,
            "left_at": visit.left_at,
        }
        if audience != "visitor":
            unit = units.get(visit.host_unit_id)
            view["host_unit"] = unit.name if unit else ""
            view["host_confirmed_via"] = visit.host_confirmed_via.label if visit.host_confirmed_via else ""
            view["created_at"] = visit.created_at
        if audience == "console":
            view["screening"] = visit.screening
            view["purged"] = visit.purged_at is not None
        if cipher is not None:
            view["phone"] = personal.masked_phone(cipher, visit.phone_encrypted)
            view["id_number"] = personal.masked_id_number(cipher, visit.id_number_encrypted)
        views.append(view)
    return views


async def _view(visit: Visit, audience: str, cipher: FieldCipher | None = None) -> dict:
    return (await visit_views([visit], audience, cipher))[0]


async def list_visits(
    *,
    state: VisitState | None = None,
    source: VisitSource | None = None,
    day: date | None = None,
    host_unit_id: int | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[dict], int]:
    """Visits for the console, newest first. `day` keeps those whose window touches that business
    day; `search` matches the visit code or the visitor's name."""
    query = Visit.all()
    if state:
        query = query.filter(state=state)
    if source:
        query = query.filter(source=source)
    if host_unit_id:
        query = query.filter(host_unit_id=host_unit_id)
    if day:
        query = query.filter(window_start__lt=day_start(day + timedelta(days=1)), window_end__gte=day_start(day))
    if search and search.strip():
        text = search.strip()
        query = query.filter(Q(code=text.upper()) | Q(visitor_name__contains=text))
    total = await query.count()
    rows = await query.order_by("-created_at", "-id").offset((page - 1) * per_page).limit(per_page)
    return await visit_views(rows, "console"), total


async def host_visits(cipher: FieldCipher, host_id: int, page: int, per_page: int) -> tuple[list[dict], int]:
    query = Visit.filter(host_id=host_id)
    total = await query.count()
    rows = await query.order_by("-created_at", "-id").offset((page - 1) * per_page).limit(per_page)
    return await visit_views(rows, "host", cipher), total


async def host_visit(cipher: FieldCipher, host_id: int, visit_id: int) -> dict:
    """One of the host's visits; another host's is not found."""
    visit = await Visit.get_or_none(id=visit_id, host_id=host_id)
    if visit is None:
        raise AccessError.VISIT_NOT_FOUND.error()
    return await _view(visit, "host", cipher)


async def visitor_view(visit: Visit) -> dict:
    return await _view(visit, "visitor")


# ---- invitation and the visitor's side ---------------------------------------------------------


async def invite(
    cipher: FieldCipher, settings: AccessSettings, host_id: int, draft: VisitDraft, at: datetime
) -> tuple[dict, str]:
    """The host invites: the visit waits for the visitor, who opens the returned link once."""
    checked = await _check_draft(settings, draft, at)
    sealed = _sealed(cipher, checked, None)
    link = secrets.token_urlsafe(24)
    async with in_transaction() as conn:
        host = await _host(host_id, conn)
        await _refuse_blocked(conn, sealed)
        visit = await _create(
            conn,
            checked,
            sealed,
            source=VisitSource.INVITED,
            state=VisitState.AWAITING_VISITOR,
            host_id=host.id,
            host_unit_id=host.unit_id,
            link_hash=_digest(link),
            link_expires_at=at + timedelta(hours=settings.invite_link_hours),
        )
    return await _view(visit, "host", cipher), f"{settings.link_base_url}/v/{link}"


async def open_link(link_token: str, at: datetime) -> tuple[dict, str]:
    """Exchange the invitation link, once and before it expires, for the visitor's own token."""
    token = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        visit = await Visit.filter(link_hash=_digest(link_token or "")).using_db(conn).select_for_update().first()
        if (
            visit is None
            or visit.link_opened_at is not None
            or visit.link_expires_at is None
            or visit.link_expires_at < at
            or visit.state != VisitState.AWAITING_VISITOR
        ):
            raise AccessError.LINK_INVALID.error()
        visit.link_opened_at, visit.visitor_token_hash = at, _digest(token)
        await visit.save(using_db=conn, update_fields=["link_opened_at", "visitor_token_hash", "updated_at"])
    return await _view(visit, "visitor"), token


async def by_visitor_token(token: str) -> Visit:
    visit = await Visit.get_or_none(visitor_token_hash=_digest(token or "")) if token else None
    if visit is None or visit.purged_at is not None:
        raise AccessError.VISITOR_TOKEN_INVALID.error()
    return visit


async def complete(
    cipher: FieldCipher, settings: AccessSettings, visitor_token: str, id_number: str, plate: str | None, at: datetime
) -> dict:
    """The invited visitor gives their ID number (and a plate, if they come by car): the visit is
    READY with its mobile pass."""
    number = personal.check_id_number(id_number)
    plate = personal.check_plate(plate) if (plate or "").strip() else None
    visit_id = (await by_visitor_token(visitor_token)).id
    id_encrypted, id_index = personal.seal(cipher, number, personal.ID_NUMBER)
    async with in_transaction() as conn:
        visit = await _locked(conn, visit_id)
        if visit.state != VisitState.AWAITING_VISITOR:
            _refuse_state(visit, "填写")
        if visit.window_end <= at:
            raise AccessError.WINDOW_INVALID.error(problem="来访时间已过")
        if plate:
            visit.plate_encrypted, visit.plate_index = personal.seal(cipher, plate, personal.PLATE)
            visit.plate_masked = personal.mask_plate(plate)
        visit.id_number_encrypted, visit.id_number_index = id_encrypted, id_index
        await _refuse_blocked(conn, _indexes(visit))
        await _grant(conn, settings, visit, PassKind.MOBILE, at)
        await notices.tell_host(conn, visit, at)
    return await _view(visit, "visitor")


async def request_visit(
    cipher: FieldCipher,
    settings: AccessSettings,
    draft: VisitDraft,
    id_number: str,
    host_name: str,
    host_phone: str,
    at: datetime,
) -> tuple[dict, str]:
    """A visitor asks for a visit naming the host by name and phone (both must match an active
    person on the roster); the host approves or refuses in the mini-program."""
    checked = await _check_draft(settings, draft, at)
    number = personal.check_id_number(id_number)
    phone = personal.check_phone(host_phone)
    host = await people.person_by_phone(cipher, phone)
    if host is None or not host.is_active or host.name != " ".join((host_name or "").split()):
        raise AccessError.HOST_NOT_FOUND.error()
    sealed = _sealed(cipher, checked, number)
    token = secrets.token_urlsafe(32)
    async with in_transaction() as conn:
        await _refuse_blocked(conn, sealed)
        visit = await _awaiting_host(
            conn, checked, sealed, host, VisitSource.REQUESTED, at, visitor_token_hash=_digest(token)
        )
    return await _view(visit, "visitor"), token


# ---- the host's and the guard's decisions ------------------------------------------------------


async def host_decide(
    settings: AccessSettings, host_id: int, visit_id: int, approve: bool, reason: str, at: datetime
) -> dict:
    """The host answers a visitor's request (approved: a mobile pass) or a walk-in waiting at the
    guard post (approved: a single-entry slip to print)."""
    reason = _short_text(reason, "原因", REASON_MAX)
    async with in_transaction() as conn:
        visit = await _locked(conn, visit_id)
        if visit.host_id != host_id:
            raise AccessError.NOT_HOST.error()
        if visit.state != VisitState.AWAITING_HOST:
            _refuse_state(visit, "确认")
        if approve:
            await _refuse_blocked(conn, _indexes(visit))
            visit.host_confirmed_via, visit.host_confirmed_at = HostConfirmation.MINI_PROGRAM, at
            kind = PassKind.SLIP if visit.source == VisitSource.WALK_IN else PassKind.MOBILE
            await _grant(conn, settings, visit, kind, at)
        else:
            visit.state, visit.refused_reason = VisitState.REFUSED, reason
            await visit.save(using_db=conn)
    return await _view(visit, "host")


async def confirm_by_phone(actor: Actor, settings: AccessSettings, visit_id: int, at: datetime) -> dict:
    """The guard phoned the host, who agreed: the walk-in gets its slip pass (audited)."""
    async with in_transaction() as conn:
        visit = await _locked(conn, visit_id)
        if visit.state != VisitState.AWAITING_HOST or visit.source != VisitSource.WALK_IN:
            _refuse_state(visit, "电话确认")
        await _refuse_blocked(conn, _indexes(visit))
        visit.host_confirmed_via, visit.host_confirmed_at = HostConfirmation.PHONE, at
        await _grant(conn, settings, visit, PassKind.SLIP, at)
        await audit.record(
            conn, actor, "access.confirm_by_phone", "visit", visit.id, None, {"code": visit.code, "state": "ready"}
        )
    return await _view(visit, "console")


async def register_walk_in(
    actor: Actor,
    cipher: FieldCipher,
    settings: AccessSettings,
    draft: VisitDraft,
    id_number: str,
    host_id: int,
    screening_answers: dict | None,
    at: datetime,
) -> dict:
    """The guard registers a visitor at the gate (after the entry screening, when on); the visit
    waits for the host to confirm in the mini-program or on the phone."""
    checked = await _check_draft(settings, draft, at)
    number = personal.check_id_number(id_number)
    record = screening.check_answers(await screening.current(), screening_answers)
    sealed = _sealed(cipher, checked, number)
    async with in_transaction() as conn:
        host = await _host(host_id, conn)
        await _refuse_blocked(conn, sealed)
        visit = await _awaiting_host(
            conn, checked, sealed, host, VisitSource.WALK_IN, at, screening=record, registered_by_id=actor.admin_id
        )
        await audit.record(
            conn,
            actor,
            "access.register_walk_in",
            "visit",
            visit.id,
            None,
            {"code": visit.code, "visitor_name": personal.mask_name(checked.name), "host_id": host.id},
        )
    return await _view(visit, "console")


def can_revoke(visit: Visit, at: datetime) -> bool:
    """Whether the visit can still be revoked: nobody entered on it yet; the visitor is inside
    (once: their passes are revoked, see revoke); or they left while the window is still open
    (they could come back on the same pass)."""
    if visit.state in NOT_ENTERED:
        return True
    if visit.state == VisitState.INSIDE:
        return visit.revoked_at is None
    return visit.state == VisitState.LEFT and visit.window_end > at


async def revoke(actor_or_host: Actor | int, visit_id: int, reason: str, at: datetime) -> dict:
    """The host (their person id) or staff (an Actor, audited) revokes a visit (see can_revoke);
    its passes are revoked with it. A visit nobody entered on yet, or whose visitor has left, is
    REVOKED. A visitor inside stays INSIDE (and on the evacuation list) until they go out: the
    exit gate still lets them out, and the revoked pass refuses any entry after that; the visit
    keeps the time and the reason of the revocation."""
    reason = _short_text(reason, "原因", REASON_MAX)
    staff = isinstance(actor_or_host, Actor)
    async with in_transaction() as conn:
        visit = await _locked(conn, visit_id)
        if not staff and visit.host_id != actor_or_host:
            raise AccessError.NOT_HOST.error()
        if not can_revoke(visit, at):
            _refuse_state(visit, "撤销")
        before = {"state": visit.state.value}
        await _withdraw(conn, visit, reason, at)
        if staff:
            await audit.record(
                conn,
                actor_or_host,
                "access.revoke_visit",
                "visit",
                visit.id,
                before,
                {"state": visit.state.value, "reason": reason, "passes_revoked": True},
            )
    return await _view(visit, "console" if staff else "host")


async def _revoke(conn: Any, visit: Visit, reason: str, at: datetime) -> None:
    visit.state, visit.revoked_at, visit.revoked_reason = VisitState.REVOKED, at, reason
    await visit.save(using_db=conn)
    await passes.revoke_all(conn, visit.id, at)


async def _withdraw(conn: Any, visit: Visit, reason: str, at: datetime) -> bool:
    """Revoke the locked visit's passes; the visit becomes REVOKED unless the visitor is inside
    (they stay INSIDE until they go out) or it already ended (NO_SHOW, NOT_SIGNED_OUT keep their
    state). Returns whether anything changed."""
    if visit.state in (*NOT_ENTERED, VisitState.LEFT):
        await _revoke(conn, visit, reason, at)
        return True
    changed = False
    if visit.state == VisitState.INSIDE and visit.revoked_at is None:
        visit.revoked_at, visit.revoked_reason = at, reason
        await visit.save(using_db=conn, update_fields=["revoked_at", "revoked_reason", "updated_at"])
        changed = True
    return await passes.revoke_all(conn, visit.id, at) > 0 or changed


async def revoke_for_block(conn: Any, kind: BlockKind, index: str, at: datetime) -> int:
    """On `conn` (the blacklist's transaction): every visit carrying the blocked value that is not
    over loses its passes, so that no terminal, even offline after its next sync, lets the visitor
    in again: one nobody entered on yet, or whose window is still open after the visitor left, is
    REVOKED; one inside keeps INSIDE (for the evacuation list) until the visitor goes out; a
    NO_SHOW or NOT_SIGNED_OUT one keeps its state. Returns how many were touched."""
    still_open = (VisitState.LEFT, VisitState.NO_SHOW, VisitState.NOT_SIGNED_OUT)
    matching = await (
        Visit.filter(
            Q(state__in=(*NOT_ENTERED, VisitState.INSIDE)) | Q(state__in=still_open, window_end__gt=at),
            **{_INDEX_FIELD[BlockKind(kind)]: index},
        )
        .using_db(conn)
        .select_for_update()
    )
    touched = 0
    for visit in matching:
        touched += int(await _withdraw(conn, visit, "列入黑名单", at))
    return touched


# ---- what the jobs do --------------------------------------------------------------------------


async def mark_no_shows(at: datetime) -> int:
    """Visits whose window is over and on which nobody entered become NO_SHOW, their passes
    revoked (terminals learn it at their next sync)."""
    done = 0
    for visit_id in await Visit.filter(state__in=NOT_ENTERED, window_end__lt=at).values_list("id", flat=True):
        async with in_transaction() as conn:
            claimed = (
                await Visit.filter(id=visit_id, state__in=NOT_ENTERED).using_db(conn).update(state=VisitState.NO_SHOW)
            )
            if claimed:
                await passes.revoke_all(conn, visit_id, at)
                done += 1
    return done


def last_day_end(settings: AccessSettings, at: datetime) -> datetime:
    """The latest day-end moment (ACCESS_DAY_END, business time) not after `at`."""
    local = at.astimezone(BUSINESS_TZ)
    minute = settings.day_end_minute
    moment = datetime.combine(local.date(), time(minute // 60, minute % 60), BUSINESS_TZ)
    return moment if moment <= local else moment - timedelta(days=1)


async def _latest_entry(conn: Any, visit: Visit) -> datetime | None:
    """When the visitor inside last came in: their latest presence row (Visit.entered_at is only
    the first entry of the visit, a multi-day visit enters again each day), else the visit's."""
    latest = (
        await Presence.filter(visit_id=visit.id)
        .using_db(conn)
        .order_by("-entered_at")
        .limit(1)
        .values_list("entered_at", flat=True)
    )
    return latest[0] if latest else visit.entered_at


async def sign_out_day_end(settings: AccessSettings, at: datetime) -> int:
    """Visitors still inside whose latest entry came before the last day end are signed out
    (NOT_SIGNED_OUT, listed for the guard), leave the presence lists and lose their passes (the
    pass of a multi-day visit too: terminals learn it at their next sync). Then every presence row
    entered before the day end is cleared, whatever the visit's state and whoever it is (visitor,
    staff, car): an exit nobody scanned must neither lock the person out by anti-passback the
    next morning nor leave them on the evacuation list. Returns how many visits were signed out."""
    cutoff = last_day_end(settings, at)
    done = 0
    inside = set(await Visit.filter(state=VisitState.INSIDE).values_list("id", flat=True))
    came_in_since = Presence.filter(visit_id__in=list(inside), entered_at__gte=cutoff)
    stale = inside - set(await came_in_since.values_list("visit_id", flat=True)) if inside else set()
    for visit_id in sorted(stale):
        async with in_transaction() as conn:
            visit = await Visit.filter(id=visit_id, state=VisitState.INSIDE).using_db(conn).select_for_update().first()
            if visit is None:
                continue
            latest = await _latest_entry(conn, visit)
            if latest is not None and latest >= cutoff:
                continue
            await Visit.filter(id=visit_id).using_db(conn).update(state=VisitState.NOT_SIGNED_OUT, left_at=at)
            await presence.sign_out_visit(conn, visit_id, at)
            await passes.revoke_all(conn, visit_id, at)
            done += 1
    await Presence.filter(entered_at__lt=cutoff).delete()
    return done


async def alert_overstays(at: datetime) -> int:
    """Visitors inside past their window: the host is told once each."""
    done = 0
    overdue = Visit.filter(state=VisitState.INSIDE, window_end__lt=at, overstay_alerted_at=None)
    for visit in await overdue:
        async with in_transaction() as conn:
            claimed = (
                await Visit.filter(id=visit.id, overstay_alerted_at=None).using_db(conn).update(overstay_alerted_at=at)
            )
            if claimed:
                await notices.tell_host(conn, visit, at)
                done += 1
    return done


async def purge_expired(settings: AccessSettings, at: datetime) -> int:
    """Visits ended more than ACCESS_RETENTION_DAYS ago lose the visitor's personal data: the
    encrypted fields and their indexes, the screening record, the tokens and the passes; the
    name is kept masked for the log and the reports. Plate alerts seen before the retention are
    deleted, and older events lose their plate index (they keep the masked plate). Returns how
    many visits were purged."""
    cutoff = at - timedelta(days=settings.retention_days)
    ended = Visit.filter(
        Q(left_at=None) | Q(left_at__lt=cutoff), state__in=ENDED, window_end__lt=cutoff, purged_at=None
    )
    done = 0
    for visit in await ended:
        async with in_transaction() as conn:
            claimed = (
                await Visit.filter(id=visit.id, purged_at=None)
                .using_db(conn)
                .update(
                    purged_at=at,
                    visitor_name=personal.mask_name(visit.visitor_name),
                    companions=[personal.mask_name(name) for name in visit.companions],
                    phone_encrypted=None,
                    phone_index=None,
                    id_number_encrypted=None,
                    id_number_index=None,
                    plate_encrypted=None,
                    plate_index=None,
                    link_hash=None,
                    visitor_token_hash=None,
                    screening=None,
                )
            )
            if claimed:
                await VisitPass.filter(visit_id=visit.id).using_db(conn).delete()
                done += 1
    await PlateAlert.filter(seen_at__lt=cutoff).delete()
    await AccessEvent.filter(at__lt=cutoff, plate_index__isnull=False).update(plate_index=None)
    return done
