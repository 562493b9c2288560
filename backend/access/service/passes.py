"""Stand-in for P's passes service (helper V's worktree only): the documented signatures, just
enough behaviour for the visits service's tests. P's version replaces this file at merge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import Gate, PassKind, Visit, VisitPass


async def issue(conn: Any, visit: Visit, kind: PassKind, at: datetime, *, max_entries: int) -> VisitPass:
    gate_ids = (
        await Gate.filter(building_id__in=visit.building_ids, is_active=True)
        .using_db(conn)
        .values_list("id", flat=True)
    )
    return await VisitPass.create(
        visit_id=visit.id,
        kind=kind,
        gate_ids=sorted(gate_ids),
        valid_from=visit.window_start,
        valid_until=visit.window_end,
        max_entries=max_entries,
        using_db=conn,
    )


async def current_token(data_key: bytes, settings: AccessSettings, visit_id: int, at: datetime) -> dict:
    live = await VisitPass.filter(visit_id=visit_id, kind=PassKind.MOBILE, revoked_at=None).first()
    if live is None:
        raise AccessError.VISIT_STATE.error(state="无有效通行证", action="出示通行码")
    step = int(at.timestamp()) // settings.qr_step_seconds
    return {
        "token": f"HQP1.standin.{live.id}.{step}",
        "refresh_in": settings.qr_step_seconds - int(at.timestamp()) % settings.qr_step_seconds,
        "valid_until": live.valid_until,
    }


async def slip_token(data_key: bytes, pass_id: int) -> str:
    return f"HQP1.standin.{pass_id}.slip"


async def revoke_all(conn: Any, visit_id: int, at: datetime) -> int:
    return await VisitPass.filter(visit_id=visit_id, revoked_at=None).using_db(conn).update(revoked_at=at)
