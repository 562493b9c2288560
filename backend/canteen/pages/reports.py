"""Console report pages of the canteen: the daily report (booked, eaten, no-shows per period);
the takings over a month or any range (per day as a trend chart, per canteen, per unit and staff
category, per staff category); and units' settlements (结算), what each unit is billed by. Each
exports to Excel. A manager of one canteen sees that canteen's takings; a unit's finance office
(`canteen.view_settlement` over its unit) sees its own units' settlements."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend.accounts.guards import scope
from backend.canteen.errors import CanteenError
from backend.canteen.permissions import CanteenPermission
from backend.canteen.schemas import ReportMonthIn, ReportRangeIn
from backend.canteen.service import booking, reports, summaries
from backend.canteen.service import canteens as service
from backend.canteen.service.reports import rate_text
from backend.canteen.service.summaries import DateRange
from backend.console.charts import trend_chart
from backend.console.forms import FormErrors, validate
from backend.console.render import can, page
from backend.console.session import console_page
from backend.core.permissions import Scope
from backend.core.timeutil import parse_day, today
from backend.core.web.responses import xlsx_download

bp = Blueprint("console_canteen_reports", url_prefix="/console/canteen")


def _day(request: Request) -> date:
    return parse_day(request.args.get("day")) or today()


@bp.get("/report")
@console_page(CanteenPermission.VIEW_PAYMENT)
async def daily_report(request: Request):
    day = _day(request)
    viewable = scope(request, CanteenPermission.VIEW_PAYMENT)
    lines = await service.daily_totals(day, scope=viewable)
    totals = {k: sum(line[k] for line in lines) for k in ("count", "amount_fen", "subsidy_fen", "cash_fen")}
    attendance = await booking.attendance(day, day, scope=viewable)
    return await page(
        request,
        "canteen/report.html",
        day=day,
        lines=lines,
        totals=totals,
        attendance=attendance,
        rate_text=rate_text,
        meals_ahead=day >= today(),
    )


@bp.get("/report.xlsx")
@console_page(CanteenPermission.VIEW_PAYMENT)
async def daily_report_xlsx(request: Request):
    day = _day(request)
    workbook = await reports.daily_workbook(day, scope=scope(request, CanteenPermission.VIEW_PAYMENT))
    return xlsx_download(workbook, f"食堂消费日报-{day.isoformat()}.xlsx")


def _span(request: Request, canteens: list[dict] | None = None) -> tuple[DateRange | None, dict, FormErrors]:
    """The range the query string asks for (this month when it asks for none), what was typed
    (to show it again) and what is wrong with it, by field. `by` says whether the month or the
    start and end were meant; `canteens` are the ones the admin may pick from, where the page
    offers that."""
    typed = {k: v for k in ("by", "month", "start", "end", "canteen") if (v := (request.args.get(k) or "").strip())}
    if canteens is None:
        typed.pop("canteen", None)
    by = typed.get("by") or ("range" if "start" in typed or "end" in typed else "month")
    chosen = {k: typed[k] for k in ("canteen",) if k in typed}
    span: DateRange | None = None
    if by == "range":
        body, errors = validate(ReportRangeIn, {**chosen, **{k: typed[k] for k in ("start", "end") if k in typed}})
        if isinstance(body, ReportRangeIn):
            span = DateRange(body.start, body.end)
    else:
        typed.setdefault("month", today().strftime("%Y-%m"))
        body, errors = validate(ReportMonthIn, {**chosen, "month": typed["month"]})
        if isinstance(body, ReportMonthIn):
            span = DateRange.month(int(body.month[:4]), int(body.month[5:]))
    if canteens is not None and typed.get("canteen") and typed["canteen"] not in {c["code"] for c in canteens}:
        errors["canteen"] = CanteenError.CANTEEN_NOT_FOUND.message
    typed["by"] = by
    if span is not None:
        # The fields of the way not chosen show the same range, not what they held before.
        if by == "month":
            typed |= {"start": span.start.isoformat(), "end": span.end.isoformat()}
        else:
            typed["month"] = span.start.strftime("%Y-%m")
    return (None if errors else span), typed, errors


def _back_to_page(request: Request) -> HTTPResponse:
    """An export asked for with a bad range goes back to its page, which says what is wrong."""
    return redirect(request.path.removesuffix("/export.xlsx") + "?" + request.query_string)


def _query(span: DateRange, typed: dict) -> str:
    """The query string that asks for `span` again (as a month where it was picked as one)."""
    chosen = f"month={typed['month']}" if typed["by"] == "month" else f"by=range&start={span.start}&end={span.end}"
    return chosen + (f"&canteen={typed['canteen']}" if typed.get("canteen") else "")


async def _range_page(
    request: Request, template: str, span: DateRange | None, typed: dict, errors: FormErrors, **context
) -> HTTPResponse:
    """A report page for `span`, or its range form saying what is wrong (422) where there is none."""
    return await page(
        request,
        template,
        status=422 if errors else 200,
        span=span,
        form=typed,
        errors=errors,
        query=_query(span, typed) if span else "",
        **context,
    )


@bp.get("/reports")
@console_page(CanteenPermission.VIEW_PAYMENT)
async def range_report(request: Request):
    viewable = scope(request, CanteenPermission.VIEW_PAYMENT)
    canteens = await service.list_canteens(scope=viewable)
    span, typed, errors = _span(request, canteens)
    if span is None:
        return await _range_page(request, "canteen/reports.html", span, typed, errors, canteens=canteens)
    chosen = typed.get("canteen")
    trend = await summaries.daily_trend(span, scope=viewable, canteen=chosen)
    return await _range_page(
        request,
        "canteen/reports.html",
        span,
        typed,
        errors,
        canteens=canteens,
        can_settle=can(request, CanteenPermission.VIEW_SETTLEMENT),
        # A unit's settlement covers every canteen: its link drops the canteen picked here.
        settlement_query=_query(span, {k: v for k, v in typed.items() if k != "canteen"}),
        trend=trend,
        chart=trend_chart(trend),
        total=summaries.totals(trend),
        by_canteen=await summaries.by_canteen(span, scope=viewable, canteen=chosen),
        by_unit=await summaries.by_unit(span, scope=viewable, canteen=chosen),
        by_category=await summaries.by_category(span, scope=viewable, canteen=chosen),
    )


@bp.get("/reports/export.xlsx")
@console_page(CanteenPermission.VIEW_PAYMENT)
async def range_report_xlsx(request: Request):
    viewable = scope(request, CanteenPermission.VIEW_PAYMENT)
    span, typed, _ = _span(request, await service.list_canteens(scope=viewable))
    if span is None:
        return _back_to_page(request)
    workbook = await reports.range_workbook(span, scope=viewable, canteen=typed.get("canteen"))
    return xlsx_download(workbook, f"食堂消费报表-{span.label.replace(' ', '')}.xlsx")


def _settlement_scope(request: Request) -> Scope:
    return scope(request, CanteenPermission.VIEW_SETTLEMENT)


@bp.get("/settlement")
@console_page(CanteenPermission.VIEW_SETTLEMENT)
async def settlements(request: Request):
    span, typed, errors = _span(request)
    units = await summaries.by_unit(span, scope=_settlement_scope(request)) if span else []
    return await _range_page(
        request, "canteen/settlement.html", span, typed, errors, units=units, total=summaries.totals(units)
    )


@bp.get("/settlement/export.xlsx")
@console_page(CanteenPermission.VIEW_SETTLEMENT)
async def settlements_xlsx(request: Request):
    span, typed, _ = _span(request)
    if span is None:
        return _back_to_page(request)
    units = await summaries.by_unit(span, scope=_settlement_scope(request))
    return xlsx_download(
        await reports.settlements_workbook(span, units), f"单位就餐结算-{span.label.replace(' ', '')}.xlsx"
    )


async def _unit(request: Request, unit_code: str, span: DateRange) -> dict:
    unit = await summaries.unit_settlement(span, unit_code, scope=_settlement_scope(request))
    if unit is None:
        raise CanteenError.UNIT_NOT_FOUND.error()
    return unit


@bp.get("/settlement/<unit_code:str>")
@console_page(CanteenPermission.VIEW_SETTLEMENT)
async def unit_settlement(request: Request, unit_code: str):
    span, typed, errors = _span(request)
    unit = await _unit(request, unit_code, span) if span else None
    return await _range_page(
        request, "canteen/unit_settlement.html", span, typed, errors, unit=unit, unit_code=unit_code
    )


@bp.get("/settlement/<unit_code:str>/export.xlsx")
@console_page(CanteenPermission.VIEW_SETTLEMENT)
async def unit_settlement_xlsx(request: Request, unit_code: str):
    span, typed, _ = _span(request)
    if span is None:
        return _back_to_page(request)
    unit = await _unit(request, unit_code, span)
    workbook = await reports.settlement_workbook(span, unit)
    return xlsx_download(workbook, f"就餐结算-{unit['name']}-{span.label.replace(' ', '')}.xlsx")
