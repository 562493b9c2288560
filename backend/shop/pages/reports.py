"""The shop's report pages: the purchase list (备货单) per supplier for a pickup day, sales by
region of origin and by theme week with their charts, and the supplier settlement page (供货方结算:
what each supplier sold, had refunded and is owed over a range, the form that records a
settlement, and the settlements of the range). Each table exports to Excel."""

from __future__ import annotations

import secrets
from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.console.charts import money_bars
from backend.console.forms import FormErrors, form_data, submit
from backend.console.render import can, flash, page, when
from backend.console.session import console_page
from backend.core.money import yuan, yuan_text
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import DaySpan, now, parse_day, requested_span, today
from backend.core.web.responses import xlsx_download
from backend.shop.permissions import ShopPermission
from backend.shop.schemas import SettlementFormIn
from backend.shop.service import reports, settlements
from backend.shop.service.reports import MAX_DAYS, SALES_COLUMNS, SETTLEMENT_COLUMNS

bp = Blueprint("console_shop_reports", url_prefix="/console/shop/reports")

VIEW = ShopPermission.VIEW_REPORT
SETTLE = ShopPermission.SETTLE_SUPPLIER
FLASH = {"settled": "结算已登记，款项已从食味坊收入转给供货方"}
# Where a refusal of the service belongs on the settlement form.
SETTLE_FIELDS = {
    "shop.supplier_not_found": "supplier_id",
    "shop.settlement_period_invalid": "period_end",
    "shop.settlement_period_future": "period_end",
    "shop.settlement_amount_invalid": "amount_fen",
    "shop.settlement_over_owed": "amount_fen",
}
HISTORY_COLUMNS = (
    ("supplier", "供货方"),
    ("period_start", "结算区间起"),
    ("period_end", "结算区间止"),
    ("amount_fen", "金额（元）"),
    ("reference", "凭证号"),
    ("settled_by", "经办人"),
    ("settled_at", "登记时间"),
)


def _span(request: Request) -> tuple[DaySpan, bool]:
    return requested_span(request.args.get("since"), request.args.get("until"), MAX_DAYS)


def _query(span: DaySpan) -> str:
    return f"since={span.first.isoformat()}&until={span.last.isoformat()}"


def _cut_flash(span: DaySpan, cut: bool) -> str:
    return f"统计区间最长一年，已按截止日期取 {span.first.isoformat()} 起" if cut else ""


def _supplier(request: Request, choices: list[tuple[int, str]]) -> int | None:
    """The supplier the URL names, if it is one."""
    raw = request.args.get("supplier") or ""
    return int(raw) if raw.isdigit() and int(raw) in {sid for sid, _ in choices} else None


# ---- purchase list (备货单) -------------------------------------------------------------------------


def _pickup_day(request: Request, days: list[date]) -> date:
    """The day the URL names, else the first pickup day from today on with goods to prepare,
    else today."""
    asked = parse_day(request.args.get("day"))
    if asked:
        return asked
    return next((d for d in days if d >= today()), today())


@bp.get("/purchase")
@console_page(VIEW)
async def purchase(request: Request):
    days = await reports.purchase_days(today())
    day = _pickup_day(request, days)
    choices = await reports.supplier_choices()
    supplier_id = _supplier(request, choices)
    suppliers = await reports.purchase_list(day, supplier_id)
    query = f"day={day.isoformat()}" + (f"&supplier={supplier_id}" if supplier_id else "")
    return await page(
        request,
        "shop/purchase_list.html",
        day=day,
        days=days,
        supplier_id=supplier_id,
        supplier_options=[(str(sid), name) for sid, name in choices],
        suppliers=suppliers,
        query=query,
    )


@bp.get("/purchase.xlsx")
@console_page(VIEW)
async def purchase_export(request: Request):
    day = _pickup_day(request, await reports.purchase_days(today()))
    supplier_id = _supplier(request, await reports.supplier_choices())
    body = await reports.purchase_workbook(day, supplier_id)
    return xlsx_download(body, f"备货单-{day.isoformat()}.xlsx")


# ---- sales (销售报表) ------------------------------------------------------------------------------


@bp.get("/sales")
@console_page(VIEW)
async def sales(request: Request):
    span, cut = _span(request)
    report = await reports.sales(span.first, span.last)
    return await page(
        request,
        "shop/sales.html",
        span=span,
        query=_query(span),
        report=report,
        columns=SALES_COLUMNS,
        region_chart=money_bars([{"label": g["name"], "bar_fen": g["net_fen"]} for g in report["regions"]]),
        cycle_chart=money_bars([{"label": g["name"], "bar_fen": g["net_fen"]} for g in report["cycles"]]),
        flash=_cut_flash(span, cut),
        flash_kind="warn",
    )


@bp.get("/sales.xlsx")
@console_page(VIEW)
async def sales_export(request: Request):
    span, _ = _span(request)
    body = await reports.sales_workbook(span.first, span.last)
    return xlsx_download(body, f"食味坊销售报表-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")


# ---- settlement (供货方结算) --------------------------------------------------------------------------


async def _settlement_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    span, cut = _span(request)
    rows = await reports.settlement_report(span.first, span.last)
    choices = await reports.supplier_choices()
    chosen = _supplier(request, choices)
    if form is None:
        # A row's 登记结算 link names its supplier: the form offers what is owed to it.
        owed = next((r["owed_fen"] for r in rows if r["supplier_id"] == chosen), 0)
        form = {
            "supplier_id": str(chosen or ""),
            "period_start": span.first.isoformat(),
            "period_end": span.last.isoformat(),
            "amount_fen": yuan_text(owed) if owed else "",
            "key": secrets.token_urlsafe(16),
        }
    keys = tuple(key for key, _ in SETTLEMENT_COLUMNS)
    return await page(
        request,
        "shop/settlements.html",
        status=status,
        span=span,
        query=_query(span),
        rows=rows,
        columns=SETTLEMENT_COLUMNS,
        total=reports.totals(rows, keys),
        chart=money_bars([{"label": r["supplier"], "bar_fen": r["net_fen"], "line_fen": r["owed_fen"]} for r in rows]),
        history=await settlements.settlements_ending(span.first, span.last),
        can_settle=can(request, SETTLE),
        supplier_options=[(str(sid), name) for sid, name in choices],
        form=form,
        errors=errors or FormErrors(),
        flash=_cut_flash(span, cut) or flash(request, FLASH),
        flash_kind="warn" if cut else "ok",
    )


@bp.get("/settlements")
@console_page(VIEW)
async def settlement_report(request: Request):
    return await _settlement_page(request)


@bp.post("/settlements")
@console_page(SETTLE)
async def record_settlement(request: Request):
    """The record form: the amount is typed in yuan; back to the range's page when done, or the
    page again with what was typed and why it was refused."""
    data = form_data(request)
    typed = dict(data)
    _, errors = await submit(
        SettlementFormIn,
        data,
        lambda body: settlements.settle(
            actor(request),
            body.supplier_id,
            body.period_start,
            body.period_end,
            body.amount_fen,
            body.reference,
            body.key,
            now(),
        ),
        SETTLE_FIELDS,
        yuan=("amount_fen",),
    )
    since, until = typed.get("period_start", ""), typed.get("period_end", "")
    if not errors:
        return redirect(f"/console/shop/reports/settlements?since={since}&until={until}&done=settled")
    return await _settlement_page(request, 422, typed, errors)


@bp.get("/settlements.xlsx")
@console_page(VIEW)
async def settlement_export(request: Request):
    span, _ = _span(request)
    body = await reports.settlement_workbook(span.first, span.last)
    return xlsx_download(body, f"供货方结算报表-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")


@bp.get("/settlements/history.xlsx")
@console_page(VIEW)
async def history_export(request: Request):
    span, _ = _span(request)
    rows = await settlements.settlements_ending(span.first, span.last)
    body = await table_workbook(
        "结算记录",
        [label for _, label in HISTORY_COLUMNS],
        [
            [
                r["supplier"],
                r["period_start"],
                r["period_end"],
                yuan(r["amount_fen"]),
                r["reference"],
                r["settled_by"],
                when(r["settled_at"]),
            ]
            for r in rows
        ],
    )
    return xlsx_download(body, f"供货方结算记录-{span.first.isoformat()}至{span.last.isoformat()}.xlsx")
