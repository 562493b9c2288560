"""Stand-in for P's presence service (helper V's worktree only): the documented signatures the
visits service and its jobs use. P's version replaces this file at merge."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.access.models import Presence, SubjectKind


async def enter(
    conn: Any,
    *,
    building_id: int,
    subject: SubjectKind,
    key: str,
    gate_id: int,
    at: datetime,
    visit_id: int | None = None,
    person_id: int | None = None,
    plate_masked: str = "",
    people: int = 1,
) -> None:
    await Presence.create(
        building_id=building_id,
        subject=subject,
        subject_key=key,
        gate_id=gate_id,
        entered_at=at,
        visit_id=visit_id,
        person_id=person_id,
        plate_masked=plate_masked,
        people_count=people,
        using_db=conn,
    )


async def sign_out_visit(conn: Any, visit_id: int, at: datetime) -> int:
    return await Presence.filter(visit_id=visit_id).using_db(conn).delete()
