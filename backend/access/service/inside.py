"""Who is inside each building now, for the guard and for an evacuation: every visitor's party
(with the people who came with them and whether they stay past their window), member of staff
and car booked in and not yet out, masked, per building, and the same list as one .xlsx file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from backend.access.models import SubjectKind, Visit
from backend.access.service import personal, presence
from backend.accounts.service import people
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import BUSINESS_TZ
from backend.places import service as places

CAR_SUBJECTS = {
    SubjectKind.OFFICIAL_CAR.value,
    SubjectKind.STAFF_CAR.value,
    SubjectKind.VISITOR_CAR.value,
    SubjectKind.UNKNOWN_PLATE.value,
}
EXPORT_HEADER = ("楼宇", "类别", "姓名或车牌", "人数", "被访人或单位", "进入时间", "进入门禁", "超时未离开")


async def evacuation(building_id: int, at: datetime) -> list[dict]:
    """Everyone inside the building, visitors first, then staff, then cars; each row masked:
    `who` (masked name or plate), `people`, `whom` (the host for a visitor, the unit for staff),
    `overstay` (a visitor past the end of the window)."""
    rows = await presence.rows(building_id)
    visits = {v.id: v for v in await Visit.filter(id__in={r["visit_id"] for r in rows if r["visit_id"]})}
    person_ids = {r["person_id"] for r in rows if r["person_id"]} | {v.host_id for v in visits.values()}
    summaries = {p.id: p for p in await people.people_summaries(person_ids)}
    units = await people.units_by_id({p.unit_id for p in summaries.values()})
    building = (await places.full_names([building_id])).get(building_id, "")
    found = []
    for row in rows:
        visit = visits.get(row["visit_id"]) if row["visit_id"] else None
        person = summaries.get(row["person_id"]) if row["person_id"] else None
        if visit is not None:
            host = summaries.get(visit.host_id)
            who, whom = personal.mask_name(visit.visitor_name), personal.mask_name(host.name) if host else ""
            overstay = visit.window_end < at
        elif person is not None:
            unit = units.get(person.unit_id)
            who, whom, overstay = personal.mask_name(person.name), unit.name if unit else "", False
        else:
            who, whom, overstay = row["plate_masked"] or "—", "", False
        found.append(
            {
                "building_id": building_id,
                "building": building,
                "subject": row["subject"],
                "subject_label": row["subject_label"],
                "is_car": row["subject"] in CAR_SUBJECTS,
                "visit_id": row["visit_id"],
                "who": who,
                "people": row["people"],
                "whom": whom,
                "gate": row.get("gate_name", row.get("gate", "")),
                "entered_at": row["entered_at"],
                "overstay": overstay,
            }
        )
    order = {SubjectKind.VISITOR.value: 0, SubjectKind.STAFF.value: 1}
    found.sort(key=lambda r: (order.get(r["subject"], 2), r["entered_at"]))
    return found


async def everyone(at: datetime) -> list[dict]:
    """The evacuation rows of every building in use, building by building."""
    return [row for b in await places.buildings() for row in await evacuation(b["id"], at)]


async def building_options() -> list[tuple[int, str]]:
    return [(b["id"], b["name"]) for b in await places.buildings()]


def summary(rows: Iterable[dict]) -> list[dict]:
    """Per building with anyone inside: visitors (people), visitors past their window, staff, cars."""
    buildings: dict[int, dict] = {}
    for row in rows:
        counts = buildings.setdefault(
            row["building_id"],
            {
                "building_id": row["building_id"],
                "building": row["building"],
                "visitors": 0,
                "overstays": 0,
                "staff": 0,
                "cars": 0,
            },
        )
        if row["is_car"]:
            counts["cars"] += 1
        elif row["subject"] == SubjectKind.VISITOR.value:
            counts["visitors"] += row["people"]
            counts["overstays"] += row["overstay"]
        else:
            counts["staff"] += row["people"]
    return list(buildings.values())


async def export(building_id: int | None, at: datetime) -> bytes:
    """The evacuation list (one building, or every one for None) as one .xlsx file, masked like
    the page."""
    rows = await evacuation(building_id, at) if building_id else await everyone(at)
    return await table_workbook(
        "在场人员",
        EXPORT_HEADER,
        [
            [
                r["building"],
                r["subject_label"],
                r["who"],
                r["people"],
                r["whom"],
                r["entered_at"].astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
                r["gate"],
                "是" if r["overstay"] else "",
            ]
            for r in rows
        ],
    )
