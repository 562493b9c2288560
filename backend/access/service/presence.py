"""Stand-in (helper G) for P's presence service: the read side, with the design's signatures; P's file wins."""

from __future__ import annotations

from backend.access.models import Presence


async def people_inside() -> dict[int, int]:
    counts: dict[int, int] = {}
    for row in await Presence.all():
        counts[row.building_id] = counts.get(row.building_id, 0) + row.people_count
    return counts


async def rows(building_id: int | None) -> list[dict]:
    query = Presence.all().select_related("gate").order_by("entered_at")
    if building_id is not None:
        query = query.filter(building_id=building_id)
    return [
        {
            "building_id": p.building_id,
            "subject": p.subject.value,
            "subject_label": p.subject.label,
            "key": p.subject_key,
            "visit_id": p.visit_id,
            "person_id": p.person_id,
            "plate_masked": p.plate_masked,
            "people": p.people_count,
            "gate": p.gate.name,
            "entered_at": p.entered_at,
        }
        for p in await query
    ]
