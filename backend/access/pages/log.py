"""Console page of the access log (通行记录): every decision at a gate, filtered by gate, building,
days, subject, result and source, searched by a masked name or plate, and exported to Excel as
shown (masked, refusals in words)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.access.models import EventSource, SubjectKind
from backend.access.pages.admin_common import building_options
from backend.access.permissions import AccessPermission as P
from backend.access.service import gates, log
from backend.console.render import page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, TableState
from backend.core.pagination import Page
from backend.core.timeutil import parse_day, today
from backend.core.web.responses import xlsx_download

bp = Blueprint("console_access_log", url_prefix="/console/access")

LOG = Table(
    title="通行记录",
    columns=(
        Column("at", "时间", kind="datetime"),
        Column("gate", "门禁点"),
        Column("building", "楼宇"),
        Column("direction_label", "方向"),
        Column("subject_label", "对象"),
        Column("name", "姓名"),
        Column("plate", "车牌"),
        Column("people", "人数", kind="count"),
        Column("result", "结果"),
        Column("reason", "原因"),
        Column("source_label", "来源"),
    ),
    default_sort="at",
    filters=(
        Filter("gate", "门禁点", kind="select"),
        Filter("building", "楼宇", kind="select"),
        Filter("since", "起始日期", kind="date"),
        Filter("until", "截止日期", kind="date"),
        Filter("subject", "对象", kind="select", options=tuple((s.value, s.label) for s in SubjectKind)),
        Filter("allowed", "结果", kind="select", options=(("1", "放行"), ("0", "拒绝"))),
        Filter("source", "来源", kind="select", options=tuple((s.value, s.label) for s in EventSource)),
        Filter("q", "姓名或车牌", max_length=16, placeholder="如 张* 或 浙A***45"),
    ),
)


async def _state(request: Request) -> tuple[TableState, log.LogFilters]:
    table = LOG.with_options("gate", tuple(await gates.gate_options())).with_options(
        "building", tuple(await building_options())
    )
    state = table.state(request)
    f = state.filters
    filters = log.LogFilters(
        gate_id=int(f["gate"]) if f["gate"] else None,
        building_id=int(f["building"]) if f["building"] else None,
        # Today unless another range is chosen: the log grows by thousands a day.
        first=parse_day(f["since"]) or (None if f["until"] else today()),
        last=parse_day(f["until"]),
        subject=f["subject"],
        allowed=None if not f["allowed"] else f["allowed"] == "1",
        source=f["source"],
        search=f["q"],
    )
    return state, filters


@bp.get("/log")
@console_page(P.VIEW_ACCESS)
async def log_page(request: Request):
    state, filters = await _state(request)
    rows, total = await log.search(filters, state.page, state.page_size)
    state.result = Page(rows, total, state.page, state.page_size)
    return await page(request, "access/log.html", state=state, since=filters.first)


@bp.get("/log/export.xlsx")
@console_page(P.VIEW_ACCESS)
async def log_export(request: Request):
    _, filters = await _state(request)
    return xlsx_download(await log.export(filters), f"通行记录-{today().isoformat()}.xlsx")
