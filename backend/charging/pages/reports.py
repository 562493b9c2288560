"""Console page 充电报表 of EV charging for a range of days (this month so far unless chosen):
energy and money per day with their charts, per site and per pile with a chart of each pile's
revenue, the 峰/平/谷 share of the energy, and the Excel download of it all."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.charging.permissions import ChargingPermission as P
from backend.charging.service import reports
from backend.charging.service.reports import COLUMNS, MAX_DAYS
from backend.console.charts import money_bars, unit_bars
from backend.console.render import page
from backend.console.session import console_page
from backend.core.timeutil import DaySpan, requested_span
from backend.core.web.responses import xlsx_download

bp = Blueprint("console_charging_reports", url_prefix="/console/charging")


def _span(request: Request) -> tuple[DaySpan, bool]:
    return requested_span(request.args.get("since"), request.args.get("until"), MAX_DAYS)


@bp.get("/reports")
@console_page(P.VIEW_REPORT)
async def report_page(request: Request):
    span, cut = _span(request)
    report = await reports.report(span.first, span.last)
    return await page(
        request,
        "charging/report_page.html",
        span=span,
        query=f"since={span.first.isoformat()}&until={span.last.isoformat()}",
        report=report,
        columns=COLUMNS,
        kwh=reports.kwh_text,
        # Revenue as bars and what was actually taken as the line: the gap is the shortfall.
        day_chart=money_bars(
            [
                {"label": d["day"].strftime("%m-%d"), "bar_fen": d["revenue_fen"], "line_fen": d["paid_fen"]}
                for d in report["days"]
            ]
        ),
        energy_chart=unit_bars(
            [{"label": d["day"].strftime("%m-%d"), "value": d["energy_wh"]} for d in report["days"]],
            "kWh",
            scale=1000,
            decimals=2,
        ),
        pile_chart=money_bars([{"label": p["name"], "bar_fen": p["revenue_fen"]} for p in report["piles"]]),
        flash=f"统计区间最长一年，已按截止日期取 {span.first.isoformat()} 起" if cut else "",
        flash_kind="warn",
    )


@bp.get("/reports.xlsx")
@console_page(P.VIEW_REPORT)
async def report_export(request: Request):
    span, _ = _span(request)
    body = await reports.report_workbook(span.first, span.last)
    return xlsx_download(body, f"充电报表-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")
