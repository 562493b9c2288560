"""Stand-in (helper G) for P's passes service, with the design's signatures; P's file wins."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from backend.access.models import Gate, PassKind, Visit, VisitPass


async def issue(conn: Any, visit: Visit, kind: PassKind, at: datetime, *, max_entries: int) -> VisitPass:
    gate_ids = [
        g.id
        for g in await Gate.filter(building_id__in=visit.building_ids, is_active=True).using_db(conn).order_by("id")
    ]
    return await VisitPass.create(
        visit=visit,
        kind=kind,
        gate_ids=gate_ids,
        valid_from=visit.window_start,
        valid_until=visit.window_end,
        max_entries=max_entries,
        using_db=conn,
    )


async def slip_token(data_key: bytes, pass_id: int) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"p": pass_id, "k": "s"}).encode()).decode().rstrip("=")
    return f"HQP1.standin.{payload}.unsigned"


async def revoke_all(conn: Any, visit_id: int, at: datetime) -> int:
    return await VisitPass.filter(visit_id=visit_id, revoked_at=None).using_db(conn).update(revoked_at=at)
