"""Console pages 指标与趋势 and 报表 of energy: the plan's indicators this year against the
baseline year and the targets, the use month by month (one kind, or all kinds in standard coal)
of every unit or one, the units ranked in a month (in total, per person or per m²), and the
downloads: a unit's monthly report and the province's statistics table."""

from __future__ import annotations

from decimal import Decimal

from sanic import Blueprint
from sanic.request import Request

from backend.console.charts import unit_bars
from backend.console.render import page
from backend.console.session import console_page
from backend.core.errors import AuthError
from backend.core.timeutil import add_months, today
from backend.core.web.responses import xlsx_download
from backend.energy.models import MEASURE, MeterKind
from backend.energy.pages.common import (
    FIRST_YEAR,
    kind_options,
    quantity,
    requested_kind,
    requested_month,
    requested_year,
    settings,
    this_month,
    unit_options,
)
from backend.energy.permissions import EnergyPermission as P
from backend.energy.service import indicators, reports

bp = Blueprint("console_energy_indicators", url_prefix="/console/energy")

TREND_MONTHS = 12
PER = {"total": "总量", "person": "人均", "m2": "每平方米"}
# The chart's unit when all kinds are summed: standard coal.
KGCE = "千克标准煤"


def _milli(value: Decimal | None) -> int:
    """A ranking's figure (a decimal of the measure, None without people or area) in thousandths,
    as the chart draws it."""
    return int(value * 1000) if value is not None else 0


def _requested_unit(request: Request, options: list[tuple[str, str]]) -> int | None:
    text = request.args.get("unit", "")
    return int(text) if text in {v for v, _ in options} else None


@bp.get("/indicators")
@console_page(P.VIEW_REPORT)
async def indicator_page(request: Request):
    """`?year=`, `?kind=` (blank: all kinds in standard coal), `?unit=`, `?month=` and `?per=`
    (total, person or m2) for the ranking."""
    year, kind = requested_year(request), requested_kind(request)
    units = await unit_options(request, P.VIEW_REPORT)
    unit_id = _requested_unit(request, units)
    month = requested_month(request)
    per = request.args.get("per", "total") if request.args.get("per") in PER else "total"
    start = add_months(this_month(), 1 - TREND_MONTHS)
    trend = await indicators.trend(start, TREND_MONTHS, unit_id, kind)
    if kind is None:
        points = [{"label": t["month"].strftime("%y-%m"), "value": t["kgce_milli"]} for t in trend]
        trend_unit = KGCE
    else:
        points = [{"label": t["month"].strftime("%y-%m"), "value": t["amounts"].get(kind.value, 0)} for t in trend]
        trend_unit = MEASURE[kind]
    ranked_kind = kind or MeterKind.ELECTRICITY
    ranking = [
        {**r, "value_text": "—" if r["value"] is None else quantity(_milli(r["value"]), 2 if per == "total" else 3)}
        for r in await indicators.ranking(month, ranked_kind, per)
    ]
    return await page(
        request,
        "energy/indicators.html",
        year=year,
        years=list(range(today().year, FIRST_YEAR - 1, -1)),
        kind=kind.value if kind else "",
        kind_options=kind_options(),
        unit=str(unit_id or ""),
        unit_options=units,
        month=month,
        months=[add_months(this_month(), -i) for i in range(TREND_MONTHS)],
        per=per,
        per_options=list(PER.items()),
        report=await indicators.indicators(year, settings(request)),
        trend=trend,
        trend_unit=trend_unit,
        trend_chart=unit_bars(points, trend_unit, scale=1000, decimals=2),
        ranking=ranking,
        ranked_kind=ranked_kind,
        ranked_measure=MEASURE[ranked_kind],
        ranking_chart=unit_bars(
            [{"label": r["unit_name"], "value": _milli(r["value"])} for r in ranking],
            MEASURE[ranked_kind] + ("" if per == "total" else ("/人" if per == "person" else "/m²")),
            scale=1000,
            decimals=2,
        ),
        quantity=quantity,
    )


@bp.get("/reports")
@console_page(P.VIEW_REPORT)
async def report_page(request: Request):
    return await page(
        request,
        "energy/reports.html",
        unit_options=await unit_options(request, P.VIEW_REPORT),
        months=[add_months(this_month(), -i) for i in range(TREND_MONTHS)],
        years=list(range(today().year, FIRST_YEAR - 1, -1)),
    )


@bp.get("/reports/unit.xlsx")
@console_page(P.VIEW_REPORT)
async def unit_report(request: Request):
    """`?unit=<id>&month=YYYY-MM`: the unit's monthly report."""
    units = await unit_options(request, P.VIEW_REPORT)
    unit_id = _requested_unit(request, units)
    if unit_id is None:
        raise AuthError.OUT_OF_SCOPE.error()
    month = requested_month(request)
    body = await reports.unit_month_report(unit_id, month, settings(request))
    name = dict(units)[str(unit_id)]
    return xlsx_download(body, f"能耗月报-{name}-{month.strftime('%Y-%m')}.xlsx")


@bp.get("/reports/province.xlsx")
@console_page(P.VIEW_REPORT)
async def province_report(request: Request):
    """`?year=&quarter=` (1 to 4, blank for the whole year): the province's statistics table."""
    year = requested_year(request)
    quarter_text = request.args.get("quarter", "")
    quarter = int(quarter_text) if quarter_text in ("1", "2", "3", "4") else None
    body = await reports.province_statistics(year, quarter, settings(request))
    period = f"{year}年第{quarter}季度" if quarter else f"{year}年"
    return xlsx_download(body, f"公共机构能源资源消费统计表-{period}.xlsx")
