"""Console page 访客与通行报表 over a range of days (this month so far unless chosen): visits per host
unit, visitors' arrivals per hour of day and each day's peak of people inside, with their charts,
entries per gate and refusals by reason."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.access.permissions import AccessPermission as P
from backend.access.service import reports
from backend.console.charts import unit_bars
from backend.console.render import page
from backend.console.session import console_page
from backend.core.timeutil import requested_span

bp = Blueprint("console_access_reports", url_prefix="/console/access")


@bp.get("/reports")
@console_page(P.VIEW_REPORT)
async def report_page(request: Request):
    span, cut = requested_span(request.args.get("since"), request.args.get("until"), reports.MAX_DAYS)
    report = await reports.report(span.first, span.last)
    return await page(
        request,
        "access/report_page.html",
        span=span,
        report=report,
        hour_chart=unit_bars([{"label": f"{h['hour']}时", "value": h["people"]} for h in report["hours"]], "人次"),
        peak_chart=unit_bars(
            [{"label": d["day"].strftime("%m-%d"), "value": d["people"]} for d in report["peaks"]], "人"
        ),
        unit_chart=unit_bars([{"label": u["unit"], "value": u["visits"]} for u in report["units"][:12]], "次"),
        flash=f"统计区间最长 {reports.MAX_DAYS} 天，已按截止日期取 {span.first.isoformat()} 起" if cut else "",
        flash_kind="warn",
    )
