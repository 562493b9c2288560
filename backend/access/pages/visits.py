"""Console pages of visits (来访记录): the list of every visit with filters (state, source, day, host
unit, a search by visit code, visitor's company or host) and pages, always masked; a visit's page
with its passes and its gate events, 撤销 with a reason, and 查看完整信息, which shows the visitor's
full ID number, phone and plate once to an admin allowed to see them, and is audited."""

from __future__ import annotations

from datetime import timedelta

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect
from tortoise.expressions import Q

from backend.access.errors import AccessError
from backend.access.models import AccessEvent, Visit, VisitPass, VisitSource, VisitState
from backend.access.pages.common import REGISTER, UNMASK, VIEW, visit_row, with_names
from backend.access.service import personal, visits
from backend.accounts.guards import actor, runtime
from backend.accounts.service import people
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, fetch
from backend.core.errors import AppError, message_of
from backend.core.permissions import Scope
from backend.core.timeutil import day_start, now, parse_day

bp = Blueprint("console_access_visits", url_prefix="/console/access")

VISITS = Table(
    title="来访记录",
    columns=(
        Column("code", "来访编号", href="/console/access/visits/{id}"),
        Column("visitor_name", "访客"),
        Column("company", "单位"),
        Column("host", "被访人"),
        Column("host_unit", "被访单位"),
        Column("source_label", "来源", sort="source"),
        Column("window_start", "来访时间", sort="window_start", kind="datetime"),
        Column("people", "人数", kind="count"),
        Column("state_label", "状态", sort="state"),
    ),
    default_sort="-window_start",
    filters=(
        Filter("q", "来访编号、访客单位或被访人", max_length=30),
        Filter("state", "状态", kind="select", options=tuple(VisitState.labels().items())),
        Filter("source", "来源", kind="select", options=tuple(VisitSource.labels().items())),
        Filter("unit", "被访单位", kind="select"),
        Filter("day", "来访日期", kind="date"),
    ),
)
HOSTS_SEARCHED = 200
FLASH = {"revoked": "来访已撤销，通行证随即失效"}


async def _unit_options() -> list[tuple[str, str]]:
    return [(str(u["id"]), u["name"]) for u in await people.list_units(Scope.EVERYTHING)]


async def _query(filters: dict[str, str]):
    query = Visit.all()
    if state := filters["state"]:
        query = query.filter(state=state)
    if source := filters["source"]:
        query = query.filter(source=source)
    if (unit := filters["unit"]).isdigit():
        query = query.filter(host_unit_id=int(unit))
    if day := parse_day(filters["day"]):
        # A visit belongs to every day its window touches.
        query = query.filter(window_start__lt=day_start(day + timedelta(days=1)), window_end__gte=day_start(day))
    if q := filters["q"].strip():
        hosts = await (await people.people_query(Scope.EVERYTHING, query=q)).limit(HOSTS_SEARCHED)
        query = query.filter(Q(code__icontains=q) | Q(company__icontains=q) | Q(host_id__in=[p.id for p in hosts]))
    return query


@bp.get("/visits")
@console_page(VIEW)
async def visit_list(request: Request):
    state = VISITS.with_options("unit", tuple(await _unit_options())).state(request)
    cipher = runtime(request).cipher
    await fetch(state, await _query(state.filters), lambda v: visit_row(v, cipher))
    await with_names(state.result.items)
    return await page(request, "access/visits.html", state=state)


async def _visit_page(request: Request, visit_id: int, status: int = 200, full: dict | None = None, error: str = ""):
    visit = await Visit.get_or_none(id=visit_id)
    if visit is None:
        raise AccessError.VISIT_NOT_FOUND.error()
    row = (await with_names([visit_row(visit, runtime(request).cipher)]))[0]
    passes = await VisitPass.filter(visit_id=visit.id).order_by("id")
    events = await AccessEvent.filter(visit_id=visit.id).select_related("gate").order_by("-at").limit(100)
    return await page(
        request,
        "access/visit.html",
        status=status,
        visit=row,
        passes=passes,
        events=[
            {
                "at": e.at,
                "gate": e.gate.name,
                "direction": e.direction.label,
                "allowed": e.allowed,
                "reason": message_of(e.reason) if e.reason else "",
                "source": e.source.label,
                "people": e.people_count,
            }
            for e in events
        ],
        full=full,
        error=error,
        can_unmask=can(request, UNMASK) and visit.purged_at is None,
        can_revoke=can(request, REGISTER) and visits.can_revoke(visit, now()),
        flash=flash(request, FLASH),
    )


@bp.get("/visits/<visit_id:int>")
@console_page(VIEW)
async def visit_detail(request: Request, visit_id: int):
    return await _visit_page(request, visit_id)


@bp.post("/visits/<visit_id:int>/unmask")
@console_page(UNMASK)
async def unmask(request: Request, visit_id: int):
    """查看完整信息: shown in this answer only (never in a URL or a later page), audited."""
    full = await personal.unmask(actor(request), runtime(request).cipher, visit_id)
    return await _visit_page(request, visit_id, full=full)


@bp.post("/visits/<visit_id:int>/revoke")
@console_page(REGISTER)
async def revoke(request: Request, visit_id: int):
    reason = " ".join(((request.form or {}).get("reason") or "").split())
    if not reason:
        # The service lets a host revoke without a word; the security office always says why.
        return await _visit_page(request, visit_id, 422, error=AccessError.REASON_REQUIRED.message)
    try:
        await visits.revoke(actor(request), visit_id, reason, now())
    except AppError as refusal:
        if refusal.status >= 500 or refusal.code == AccessError.VISIT_NOT_FOUND.code:
            raise
        return await _visit_page(request, visit_id, refusal.status, error=refusal.message)
    return redirect(f"/console/access/visits/{visit_id}?done=revoked")
