"""A visit's passes: issued when a visit is ready (the mini-program's time-based pass, or a printed
single-entry slip), their tokens signed on demand (the mobile one afresh each time step), revoked
with the visit, and what each gate terminal must know about them while offline: which passes
naming it were revoked and how many entries each has used, under a version digest so a terminal
that is up to date gets nothing more."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import Gate, PassKind, Visit, VisitPass, VisitState
from backend.access.service import tokens
from backend.access.service.personal import mask_name
from backend.accounts.service import people

_KIND_LETTER = {PassKind.MOBILE: "m", PassKind.SLIP: "s"}


async def issue(conn: Any, visit: Visit, kind: PassKind, at: datetime, *, max_entries: int) -> VisitPass:
    """A pass for the visit's window at every active gate of its buildings (a gate added later
    needs a new pass: the tokens carry the gates)."""
    gate_ids = (
        await Gate.filter(building_id__in=list(visit.building_ids), is_active=True)
        .using_db(conn)
        .order_by("id")
        .values_list("id", flat=True)
    )
    return await VisitPass.create(
        using_db=conn,
        visit_id=visit.id,
        kind=kind,
        gate_ids=list(gate_ids),
        valid_from=visit.window_start,
        valid_until=visit.window_end,
        max_entries=max_entries,
    )


async def _claims(visit_pass: VisitPass, visit: Visit, step: int | None) -> tokens.Claims:
    return tokens.Claims(
        pass_id=visit_pass.id,
        visit_code=visit.code,
        gate_ids=tuple(visit_pass.gate_ids),
        not_before=int(visit_pass.valid_from.timestamp()),
        not_after=int(visit_pass.valid_until.timestamp()),
        max_entries=visit_pass.max_entries,
        kind=_KIND_LETTER[visit_pass.kind],
        step=step,
        people=1 + len(visit.companions or []),
        name=mask_name(visit.visitor_name),
        host=mask_name(await people.person_name(visit.host_id)),
    )


async def current_token(data_key: bytes, settings: AccessSettings, visit_id: int, at: datetime) -> dict:
    """The token the mini-program shows now, signed for the current time step, and when to
    fetch the next one. A visitor still inside after the window keeps it, to leave by (an exit
    takes an expired pass)."""
    visit = await Visit.get_or_none(id=visit_id)
    if visit is None:
        raise AccessError.VISIT_NOT_FOUND.error()
    live = VisitPass.filter(visit_id=visit_id, kind=PassKind.MOBILE, revoked_at__isnull=True)
    if visit.state != VisitState.INSIDE:
        live = live.filter(valid_until__gte=at)
    visit_pass = await live.order_by("-id").first()
    if visit_pass is None or visit.state not in (VisitState.READY, VisitState.INSIDE, VisitState.LEFT):
        raise AccessError.VISIT_STATE.error(state=visit.state.label, action="出示通行码")
    unix = int(at.timestamp())
    step = unix // settings.qr_step_seconds
    return {
        "token": tokens.sign(data_key, await _claims(visit_pass, visit, step)),
        "refresh_in": (step + 1) * settings.qr_step_seconds - unix,
        "valid_until": visit_pass.valid_until,
    }


async def slip_token(data_key: bytes, pass_id: int) -> str:
    """The token printed on a slip (no time step: paper does not refresh; it allows one entry)."""
    visit_pass = await VisitPass.get_or_none(id=pass_id).select_related("visit")
    if visit_pass is None:
        raise AccessError.VISIT_NOT_FOUND.error()
    if visit_pass.kind != PassKind.SLIP or visit_pass.revoked_at is not None:
        raise AccessError.VISIT_STATE.error(state=visit_pass.visit.state.label, action="打印通行条")
    return tokens.sign(data_key, await _claims(visit_pass, visit_pass.visit, None))


async def revoke_all(conn: Any, visit_id: int, at: datetime) -> int:
    """Revoke every live pass of the visit; the terminals learn it at their next sync."""
    return await VisitPass.filter(visit_id=visit_id, revoked_at__isnull=True).using_db(conn).update(revoked_at=at)


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


async def sync_for_gate(gate_id: int, at: datetime) -> dict:
    """What a gate terminal checks offline passes against: the revoked passes naming the gate and
    the entries used of the others, for passes not yet expired, with a digest of both."""
    live = await VisitPass.filter(valid_until__gte=at).values_list("id", "gate_ids", "revoked_at", "entries_used")
    revoked, used = [], {}
    for pass_id, gate_ids, revoked_at, entries_used in live:
        if gate_id not in (gate_ids or []):
            continue
        if revoked_at is not None:
            revoked.append(pass_id)
        elif entries_used:
            used[str(pass_id)] = entries_used
    revoked.sort()
    return {"version": _digest([revoked, used]), "revoked": revoked, "used": used}
