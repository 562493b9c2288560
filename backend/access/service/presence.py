"""Who is inside each building now: one row per visitor's party, member of staff or car that came
in and has not gone out, booked by every allowed entry and exit (events.record) and cleared when
a visit is signed out at the end of the day. The evacuation list and the dashboard read it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.functions import Sum

from backend.access.models import Presence, SubjectKind


def visit_key(visit_id: int) -> str:
    return f"visit:{visit_id}"


def person_key(person_id: int) -> str:
    return f"person:{person_id}"


def plate_key(plate_index: str) -> str:
    return f"plate:{plate_index}"


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
    """Mark the subject inside; one already inside (a gate without anti-passback let them in
    again) keeps the time they first came in."""
    if await Presence.filter(building_id=building_id, subject_key=key).using_db(conn).exists():
        return
    await Presence.create(
        using_db=conn,
        building_id=building_id,
        subject=subject,
        subject_key=key,
        visit_id=visit_id,
        person_id=person_id,
        plate_masked=plate_masked,
        people_count=people,
        gate_id=gate_id,
        entered_at=at,
    )


async def leave(conn: Any, building_id: int, key: str) -> bool:
    return await Presence.filter(building_id=building_id, subject_key=key).using_db(conn).delete() > 0


async def is_inside(conn: Any, building_id: int, key: str) -> bool:
    return await Presence.filter(building_id=building_id, subject_key=key).using_db(conn).exists()


async def sign_out_visit(conn: Any, visit_id: int, at: datetime) -> int:
    """Remove the visit's party from every building (signed out at `at` by the caller's state change)."""
    return await Presence.filter(visit_id=visit_id).using_db(conn).delete()


async def people_inside() -> dict[int, int]:
    """Building id -> people inside now, every subject counted (a car counts as one)."""
    rows = (
        await Presence.all().group_by("building_id").annotate(total=Sum("people_count")).values("building_id", "total")
    )
    return {row["building_id"]: int(row["total"] or 0) for row in rows}


async def rows(building_id: int | None) -> list[dict]:
    """Everyone inside (in one building, or all), earliest first, masked as stored."""
    query = Presence.all().select_related("gate").order_by("entered_at", "id")
    if building_id is not None:
        query = query.filter(building_id=building_id)
    return [
        {
            "building_id": row.building_id,
            "subject": row.subject.value,
            "subject_label": row.subject.label,
            "key": row.subject_key,
            "visit_id": row.visit_id,
            "person_id": row.person_id,
            "plate_masked": row.plate_masked,
            "people": row.people_count,
            "gate": row.gate.name,
            "entered_at": row.entered_at,
        }
        for row in await query
    ]
