"""Repairs (随手拍) as an Open311 GeoReport v2 endpoint, so that 12345 hotline systems and city
dashboards that speak Open311 can file and follow repair reports. The HTTP routes are in
`backend/repairs/external_api.py`; this module parses Open311's parameters, does the operations and writes the
answers as JSON or XML (the spec's element names, built with the standard library).

How GeoReport v2 maps onto repairs:

    service            a repair category: service_code = category code, metadata false (no
                       attributes: a service definition has an empty attribute list), type realtime
    service request    a report: service_request_id = report id; open = submitted, accepted,
                       in progress; closed = resolved, closed, rejected, duplicate, cancelled
    address / _id      the location's full name and the spot (具体位置) / our location id;
                       lat, long, zipcode and media_url are always null (no coordinates here)
    expected_datetime  the SLA's resolve-by time; agency_responsible the repair team's name

Decisions:

- Access. The services list and definitions are public, as in the spec. Requests, read or
  posted, need a valid `api_key`: the platform runs on a government intranet, and the photos
  and descriptions of offices are not public. Posted reports are filed in the name of the cadre
  the key was issued to (`houqin open311-key`).
- Privacy. No answer names a reporter or a technician, and no photo URL is given out: photos are
  served only to those signed in who may see them.
- Retries. Open311 has no idempotency key: each POST files a new report, unless the client sends
  an `Idempotency-Key` header (8–64 characters); the same key from the same API key then files
  once and a retry gets the first report back.
- `jurisdiction_id` is accepted and ignored: there is one jurisdiction.
- GET requests: newest first, at most 1000; without dates the last 90 days, with one of them
  the 90 days after start_date or before end_date; a range may not span more than 90 days;
  `service_request_id` (comma-separated) overrides every other filter, as the spec says.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, plausible
from backend.repairs.errors import Open311Error
from backend.repairs.models import OPEN_STATES, RepairCategory, RepairEvent, RepairReport, ReportState
from backend.repairs.schemas import MAX_ID, Open311RequestIn
from backend.repairs.service import reports as service
from backend.repairs.service.open311_keys import KeyHolder

MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
STATUSES = ("open", "closed")
RELATED = ("category", "team")
SERVICE_GROUP = "报修"
# The steps that close a report without a repair: their note says why, in status_notes.
CLOSING_WITHOUT_REPAIR = {"reject", "mark_duplicate", "cancel"}
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")
ID = re.compile(r"[0-9]{1,10}")  # ASCII digits only: str.isdigit() also takes "²", which int() refuses


# ---- services ----------------------------------------------------------------------------------


def service_notice(category: RepairCategory) -> str:
    return f"{float(category.accept_hours):g} 个工作小时内受理，{float(category.resolve_hours):g} 个工作小时内修复"


def service_view(category: RepairCategory) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": f"{category.name}类报修：{service_notice(category)}",
        "metadata": False,
        "type": "realtime",
        "keywords": None,
        "group": SERVICE_GROUP,
    }


async def services() -> list[dict]:
    """The active repair categories, in the order the mini-program shows them."""
    return [service_view(c) for c in await RepairCategory.filter(is_active=True).order_by("sort_order", "id")]


async def _active_service(code: str) -> RepairCategory:
    category = await RepairCategory.get_or_none(code=code, is_active=True)
    if category is None:
        raise Open311Error.SERVICE_NOT_FOUND.error(code=code[:32])
    return category


async def service_definition(code: str) -> dict:
    """No category asks for extra fields, so every definition has an empty attribute list."""
    category = await _active_service(code)
    return {"service_code": category.code, "attributes": []}


# ---- service requests --------------------------------------------------------------------------


def w3_datetime(at: datetime) -> str:
    """The W3C profile of ISO 8601 the spec asks for, with its offset, to the second."""
    return at.astimezone(BUSINESS_TZ).replace(microsecond=0).isoformat()


def status_notes(state: ReportState, closing_note: str) -> str:
    return f"{state.label}：{closing_note}" if closing_note else state.label


def request_view(report: RepairReport, updated_at: datetime, closing_note: str, place: str) -> dict:
    """A report as a GeoReport service request (category and team prefetched; `place` is the full
    name of its location)."""
    return {
        "service_request_id": report.id,
        "status": "open" if report.state.is_open else "closed",
        "status_notes": status_notes(report.state, closing_note),
        "service_name": report.category.name,
        "service_code": report.category.code,
        "description": report.description,
        "agency_responsible": report.team.name if report.team else None,
        "service_notice": service_notice(report.category),
        "requested_datetime": w3_datetime(report.submitted_at),
        "updated_datetime": w3_datetime(updated_at),
        "expected_datetime": w3_datetime(report.resolve_due_at),
        "address": f"{place} {report.spot}".strip(),
        "address_id": report.location_id,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


async def _request_views(reports: list[RepairReport]) -> list[dict]:
    """Views of `reports`, with what their timelines tell (last change, why closed) and their
    places' names each read in one query rather than one per report."""
    updated_at: dict[int, datetime] = {}
    closing_note: dict[int, str] = {}
    events = (
        await RepairEvent.filter(report_id__in=[r.id for r in reports])
        .order_by("at", "id")
        .values_list("report_id", "at", "action", "note")
    )
    for report_id, at, action, note in events:
        updated_at[report_id] = at
        if action in CLOSING_WITHOUT_REPAIR:
            closing_note[report_id] = note
    place_names = await service.place_names_of(reports)
    return [
        request_view(
            r,
            updated_at.get(r.id, r.submitted_at),
            closing_note.get(r.id, ""),
            place_names.get(r.location_id, "") if r.location_id else "",
        )
        for r in reports
    ]


@dataclass(frozen=True)
class RequestsQuery:
    """The filters of GET requests: either `ids`, or a time range with service codes and
    statuses (empty: all)."""

    ids: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


def _listed(args: Mapping[str, list[str]], name: str) -> list[str]:
    """A parameter that "can be declared multiple times, comma delimited", in either form."""
    return [v.strip() for value in args.get(name, []) for v in value.split(",") if v.strip()]


def _bad(name: str, problem: str) -> AppError:
    return Open311Error.BAD_PARAMETER.error(name=name, problem=problem)


def _w3_parameter(args: Mapping[str, list[str]], name: str) -> datetime | None:
    raw = (args.get(name) or [""])[0].strip()
    if not raw:
        return None
    # A W3C datetime has no spaces: a space is the "+" of an offset that the client did not
    # percent-encode in the query string.
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise _bad(name, "应为 W3C 日期时间，例如 2010-01-01T00:00:00Z") from None
    if not plausible(value.date()):
        raise _bad(name, "日期超出范围")
    return value if value.tzinfo else value.replace(tzinfo=BUSINESS_TZ)


def parse_requests_query(args: Mapping[str, list[str]], at: datetime) -> RequestsQuery:
    """Open311's query parameters, checked; unknown ones (jurisdiction_id, api_key) are ignored."""
    ids = _listed(args, "service_request_id")
    if ids:
        if len(ids) > MAX_RESULTS or not all(ID.fullmatch(i) and 0 < int(i) <= MAX_ID for i in ids):
            raise _bad("service_request_id", f"应为以逗号分隔的编号（最多 {MAX_RESULTS} 个）")
        return RequestsQuery(ids=tuple(int(i) for i in ids))
    start, end = _w3_parameter(args, "start_date"), _w3_parameter(args, "end_date")
    if start is None and end is None:
        start, end = at - MAX_SPAN, at
    elif end is None:
        end = start + MAX_SPAN
    elif start is None:
        start = end - MAX_SPAN
    if end < start:
        raise _bad("end_date", "不能早于 start_date")
    if end - start > MAX_SPAN:
        raise _bad("end_date", "与 start_date 相隔不能超过 90 天")
    statuses = _listed(args, "status")
    if any(s not in STATUSES for s in statuses):
        raise _bad("status", "可选 open、closed（可用逗号分隔）")
    return RequestsQuery(
        start=start, end=end, service_codes=tuple(_listed(args, "service_code")), statuses=tuple(statuses)
    )


async def find_requests(query: RequestsQuery) -> list[dict]:
    """Reports matching `query`, newest first, at most MAX_RESULTS."""
    reports = RepairReport.all()
    if query.ids:
        reports = reports.filter(id__in=query.ids)
    else:
        reports = reports.filter(submitted_at__gte=query.start, submitted_at__lte=query.end)
        if query.service_codes:
            reports = reports.filter(category__code__in=query.service_codes)
        if set(query.statuses) == {"open"}:
            reports = reports.filter(state__in=OPEN_STATES)
        elif set(query.statuses) == {"closed"}:
            reports = reports.exclude(state__in=OPEN_STATES)
    found = await reports.select_related(*RELATED).order_by("-submitted_at", "-id").limit(MAX_RESULTS)
    return await _request_views(list(found))


async def get_request(report_id: int) -> list[dict]:
    """One report, as a list of one (the spec's shape)."""
    report = await RepairReport.get_or_none(id=report_id).select_related(*RELATED)
    if report is None:
        raise Open311Error.REQUEST_NOT_FOUND.error(request_id=report_id)
    return await _request_views([report])


def client_ref(holder: KeyHolder, idempotency_key: str | None) -> str:
    """The report's client_ref: fresh for each POST without an Idempotency-Key, the same for the
    same key from the same client. The ':' keeps it apart from the mini-program's own refs."""
    if idempotency_key is None:
        return f"open311:{secrets.token_hex(16)}"
    if not IDEMPOTENCY_KEY.match(idempotency_key):
        raise Open311Error.IDEMPOTENCY_KEY_INVALID.error()
    return f"open311:{holder.key_id}:{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}"


async def file_request(
    holder: KeyHolder, form: Open311RequestIn, idempotency_key: str | None, at: datetime
) -> list[dict]:
    """File the posted request as a report of the key's cadre (随手拍 without photos). The
    Idempotency-Key becomes the report's client_ref, so `reports.submit` files it once: a retry,
    or a twin posted at the same moment, gets the first report back."""
    category = await _active_service(form.service_code)
    filed, _ = await service.submit(
        await service.Who.of_cadre(holder.person_id),
        client_ref(holder, idempotency_key),
        category.id,
        form.address_id,
        form.address_string,
        form.description,
        [],
        at,
    )
    return [{"service_request_id": filed["id"], "service_notice": service_notice(category), "account_id": None}]


# ---- errors and XML ----------------------------------------------------------------------------


def http_status(status: int) -> int:
    """GeoReport's statuses: 403 for a missing or bad api_key, 404 for what does not exist, 400
    for any other refusal. Too large, too many and server faults keep their own."""
    if status in (401, 403):
        return 403
    if status in (404, 405, 413, 429) or status >= 500:
        return status
    return 400


def errors_view(error: AppError, status: int) -> list[dict]:
    """One entry per refused field where the error names fields, else one."""
    fields = error.details.get("fields") if isinstance(error.details, dict) else None
    if not fields:
        return [{"code": status, "description": error.message}]
    return [
        {"code": status, "description": f["message"] if f["field"] == "body" else f"{f['field']}：{f['message']}"}
        for f in fields
    ]


# The element each list holds, as the spec names them.
LIST_ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute"}
# XML 1.0 cannot carry these characters at all, escaped or not.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, LIST_ITEMS[element.tag]), item)
    elif isinstance(value, dict):
        for name, item in value.items():
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("", str(value))


def to_xml(root: str, data: list | dict) -> bytes:
    """`data` as the spec's XML under `root` (null fields as empty elements), UTF-8 with the
    XML declaration."""
    element = ET.Element(root)
    _fill(element, data)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)
