"""The assets report page (资产报表): value by unit and by class (original, accumulated
depreciation, net), depreciation this month and this year, and the idle rate, as of a day, with
charts and an Excel export; and the dashboard's assets card."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import scope
from backend.assets.permissions import AssetsPermission
from backend.assets.service import reports, warehouse
from backend.console.charts import money_bars
from backend.console.render import page
from backend.console.session import console_page
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import parse_day, today
from backend.core.web.responses import xlsx_download

bp = Blueprint("console_assets_reports", url_prefix="/console/assets/reports")

VIEW = AssetsPermission.VIEW_REPORT
# Bars past this many make the chart unreadable: the rest are in the table.
CHART_BARS = 20


def _on(request: Request) -> date:
    """The day the report is as of: the one asked for, never after today."""
    asked = parse_day(request.args.get("on"))
    return min(asked, today()) if asked else today()


def _chart(lines: list[dict]) -> dict:
    return money_bars(
        [{"label": x["name"], "bar_fen": x["original_fen"], "line_fen": x["net_fen"]} for x in lines[:CHART_BARS]]
    )


@bp.get("")
@console_page(VIEW)
async def summary(request: Request):
    on = _on(request)
    report = await reports.summary(scope(request, VIEW), on)
    return await page(
        request,
        "assets/reports.html",
        on=on,
        report=report,
        columns=reports.COLUMNS,
        unit_chart=_chart(report["units"]),
        class_chart=_chart(report["classes"]),
    )


@bp.get("/summary.xlsx")
@console_page(VIEW)
async def summary_export(request: Request):
    on = _on(request)
    body = await reports.summary_workbook(scope(request, VIEW), on)
    return xlsx_download(body, f"资产价值与折旧-{on.isoformat()}.xlsx")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """资产: the cards the admin's scope reaches (not disposed of) and how many are idle or in
    the 公物仓, and for whoever runs the 公物仓 the requests waiting for their approval."""
    counts = await reports.dashboard_counts(principal.scope(AssetsPermission.VIEW_ASSETS))
    pending = await warehouse.pending_count() if principal.can(AssetsPermission.RUN_WAREHOUSE) else None
    return {**counts, "pending": pending, "alerting": False}
