"""The access log as the security office searches it: every decision taken at a gate, filtered by
gate, building, days, subject, allowed or refused and source, found by a visitor's or staff
member's masked name or a masked plate, and exported to Excel. Names and plates are masked in
every row and the refusal is given in words, never as its code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from backend.access.models import AccessEvent
from backend.access.service.personal import mask_name
from backend.core.errors import message_of
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import business_time, day_start
from backend.places import service as places

EXPORT_LIMIT = 20000
HEADER = ("时间", "门禁点", "楼宇", "方向", "对象", "姓名", "车牌", "人数", "结果", "原因", "来源")


@dataclass(frozen=True)
class LogFilters:
    gate_id: int | None = None
    building_id: int | None = None
    first: date | None = None
    last: date | None = None
    subject: str = ""
    allowed: bool | None = None
    source: str = ""
    search: str = ""  # part of a masked name ("张*") or a masked plate ("浙A***45"), or a plain surname


def query(filters: LogFilters) -> QuerySet:
    """The events `filters` select, newest first, with what a row shows joined in."""
    events = AccessEvent.all().select_related("gate", "visit", "person")
    if filters.gate_id:
        events = events.filter(gate_id=filters.gate_id)
    if filters.building_id:
        events = events.filter(gate__building_id=filters.building_id)
    if filters.first:
        events = events.filter(at__gte=day_start(filters.first))
    if filters.last:
        events = events.filter(at__lt=day_start(filters.last + timedelta(days=1)))
    if filters.subject:
        events = events.filter(subject=filters.subject)
    if filters.allowed is not None:
        events = events.filter(allowed=filters.allowed)
    if filters.source:
        events = events.filter(source=filters.source)
    if text := filters.search.strip():
        # What is shown is masked, so what can be typed is its readable part: the surname before
        # the stars, or the plate's visible ends.
        name = text.split("*")[0]
        condition = Q(plate_masked__icontains=text)
        if name:
            condition |= Q(visit__visitor_name__startswith=name) | Q(person__name__startswith=name)
        events = events.filter(condition)
    return events.order_by("-at", "-id")


def row(event: AccessEvent, buildings: dict[int, str] | None = None) -> dict:
    """One masked row of the log; `event` comes from `query` (gate, visit and person joined)."""
    holder = event.visit.visitor_name if event.visit else event.person.name if event.person else ""
    return {
        "id": event.id,
        "event_no": event.event_no,
        "at": event.at,
        "gate": event.gate.name,
        "gate_code": event.gate.code,
        "building": (buildings or {}).get(event.gate.building_id, ""),
        "direction_label": event.direction.label,
        "subject": event.subject.value,
        "subject_label": event.subject.label,
        "name": mask_name(holder),
        "plate": event.plate_masked,
        "people": event.people_count,
        "allowed": event.allowed,
        "result": "放行" if event.allowed else "拒绝",
        "reason": message_of(event.reason) if event.reason else "",
        "source_label": event.source.label,
    }


async def _rows(events: list[AccessEvent]) -> list[dict]:
    buildings = await places.full_names({e.gate.building_id for e in events})
    return [row(e, buildings) for e in events]


async def search(filters: LogFilters, page: int = 1, per_page: int = 50) -> tuple[list[dict], int]:
    selected = query(filters)
    total = await selected.count()
    return await _rows(list(await selected.offset((page - 1) * per_page).limit(per_page))), total


async def export(filters: LogFilters) -> bytes:
    """The selected events (newest first, at most EXPORT_LIMIT) as an .xlsx file, masked as on the page."""
    rows = await _rows(list(await query(filters).limit(EXPORT_LIMIT)))
    return await table_workbook(
        "通行记录",
        HEADER,
        [
            [
                business_time(r["at"]).strftime("%Y-%m-%d %H:%M:%S"),
                r["gate"],
                r["building"],
                r["direction_label"],
                r["subject_label"],
                r["name"],
                r["plate"],
                r["people"],
                r["result"],
                r["reason"],
                r["source_label"],
            ]
            for r in rows
        ],
    )
