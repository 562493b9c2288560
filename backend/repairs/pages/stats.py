"""The repairs statistics page (报修统计): for a period (this month so far unless chosen), the
reports by category, building, team or technician with their counts, working hours to accept
and to resolve (mean and p90) and satisfaction, as a bar chart and a table, and the table as .xlsx."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sanic import Blueprint
from sanic.request import Request

from backend.console.render import page
from backend.console.session import console_page
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import parse_day, today
from backend.core.web.responses import xlsx_download
from backend.repairs.permissions import RepairsPermission
from backend.repairs.service import stats
from backend.repairs.service.stats import GROUPINGS

bp = Blueprint("console_repairs_stats", url_prefix="/console/repairs/stats")

# A longer period is cut to its last year: the figures are summed per request.
MAX_DAYS = 366
# (row key, column heading); the first heading is the grouping's own name.
COLUMNS = (
    ("reports", "报修数"),
    ("closed", "已完结"),
    ("accept_avg", "平均受理（小时）"),
    ("accept_p90", "P90 受理（小时）"),
    ("resolve_avg", "平均修复（小时）"),
    ("resolve_p90", "P90 修复（小时）"),
    ("rating_avg", "满意度（平均分）"),
    ("rated", "评价数"),
)


def _day(request: Request, name: str, default: date) -> date:
    return parse_day(request.args.get(name)) or default


def _query(request: Request) -> tuple[date, date, str, bool]:
    """The period and grouping the URL asks for; anything malformed falls back to this month and
    by category. The last value says whether the period was cut to MAX_DAYS."""
    until = _day(request, "until", today())
    since = min(_day(request, "since", until.replace(day=1)), until)
    cut = (until - since).days >= MAX_DAYS
    if cut:
        since = until - timedelta(days=MAX_DAYS - 1)
    by = request.args.get("by") if request.args.get("by") in GROUPINGS else "category"
    return since, until, by, cut


def one_decimal(value: float | None) -> float | None:
    """Hours and ratings as the page, the chart and the export all show them."""
    return None if value is None else round(value, 1)


@bp.get("")
@console_page(RepairsPermission.VIEW_REPORT)
async def statistics(request: Request):
    since, until, by, cut = _query(request)
    result = await stats.report_stats(since, until)
    rows = result["by"][by]
    chart = {
        "names": [r["name"] for r in rows],
        "reports": [r["reports"] for r in rows],
        "closed": [r["closed"] for r in rows],
        "resolve_avg": [one_decimal(r["resolve_avg"]) for r in rows],
    }
    return await page(
        request,
        "repairs/stats.html",
        since=since,
        until=until,
        by=by,
        groupings=GROUPINGS,
        rows=rows,
        overall=result["overall"],
        columns=COLUMNS,
        decimal=one_decimal,
        chart=json.dumps(chart, ensure_ascii=False),
        flash=f"统计区间最长一年，已按截止日期取 {since.isoformat()} 起" if cut else "",
        flash_kind="warn",
    )


@bp.get("/export.xlsx")
@console_page(RepairsPermission.VIEW_REPORT)
async def statistics_export(request: Request):
    since, until, by, _ = _query(request)
    result = await stats.report_stats(since, until)
    body = await table_workbook(
        f"按{GROUPINGS[by]}统计",
        [GROUPINGS[by], *(label for _, label in COLUMNS)],
        [
            [row["name"], *(one_decimal(row[key]) for key, _ in COLUMNS)]
            for row in [*result["by"][by], result["overall"]]
        ],
    )
    return xlsx_download(body, f"报修统计-按{GROUPINGS[by]}-{since.isoformat()}至{until.isoformat()}.xlsx")
