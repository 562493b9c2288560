"""Console pages for canteen managers: payments with filters, their Excel export and error
refunds (the reports are in `reports`). A manager whose role is granted over one canteen sees and
acts on that canteen only."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, scope
from backend.canteen.errors import CanteenError
from backend.canteen.models import PaymentStatus
from backend.canteen.permissions import CanteenPermission
from backend.canteen.schemas import RefundIn
from backend.canteen.service import canteens as service
from backend.canteen.service.reports import PERIOD_NAMES
from backend.console.forms import form_data, validate
from backend.console.render import can, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.errors import AppError, message_of
from backend.core.money import yuan_text
from backend.core.permissions import Scope
from backend.core.timeutil import today

bp = Blueprint("console_canteen", url_prefix="/console/canteen")

# Refusals are passed back by code, so a crafted link cannot put words on the page.
REFUND_REFUSALS = {
    "reason": "请填写退款原因（2 至 200 字）",
    CanteenError.REFUND_NOT_ALLOWED.code: CanteenError.REFUND_NOT_ALLOWED.message,
    CanteenError.PAYMENT_NOT_FOUND.code: CanteenError.PAYMENT_NOT_FOUND.message,
}

PAYMENTS = Table(
    title="消费记录",
    columns=(
        Column("paid_at", "时间", sort="id", kind="datetime"),
        Column("canteen_name", "食堂"),
        Column("terminal_name", "终端"),
        Column("period_label", "餐次"),
        Column("person_label", "就餐人"),
        Column("amount_fen", "金额", sort="amount_fen", kind="money"),
        Column("subsidy_fen", "餐补", kind="money"),
        Column("cash_fen", "现金", kind="money"),
        Column("status_label", "状态"),
        Column("note", "说明"),
    ),
    default_sort="-paid_at",
    filters=(
        Filter("day", "营业日", kind="date"),
        Filter("canteen", "食堂", kind="select"),
        Filter("status", "状态", kind="select", options=tuple(PaymentStatus.labels().items())),
        Filter("employee_no", "工号", max_length=32),
        Filter("flagged", "待核查", kind="select", options=(("1", "仅看待核查"),)),
    ),
)


def _payment_row(p, refund_scope: Scope, periods: dict[tuple[int, str], str]) -> dict:
    notes = []
    if p.offline:
        notes.append("脱机")
    if p.lost_card_flag:
        notes.append("挂失卡消费")
    if p.disputed:
        notes.append("终端已提示拒绝（待核查）")
    if p.overdraft_fen:
        notes.append(f"透支 {yuan_text(p.overdraft_fen)} 元")
    if p.refusal_code:
        notes.append(message_of(p.refusal_code))
    if p.refund_reason:
        notes.append(f"退款原因：{p.refund_reason}")
    person = p.person
    return {
        "id": p.id,
        "paid_at": p.paid_at,
        "canteen_name": p.canteen.name,
        "terminal_name": p.terminal.name,
        # A period since removed is still named, by the names of the usual periods.
        "period_label": periods.get((p.canteen_id, p.period_code)) or PERIOD_NAMES.get(p.period_code, p.period_code),
        "person_label": f"{person.name}（{person.employee_no}）" if person else p.card_uid or "—",
        "amount_fen": p.amount_fen,
        "subsidy_fen": p.subsidy_fen,
        "cash_fen": p.cash_fen,
        "status": p.status.value,
        "status_label": p.status.label,
        "note": "；".join(notes),
        "refundable": p.status == PaymentStatus.PAID
        and p.business_date == today()
        and person is not None
        and refund_scope.reaches_object(p.canteen_id),
    }


async def _payments_state(request: Request):
    viewable = scope(request, CanteenPermission.VIEW_PAYMENT)
    options = await service.list_canteens(scope=viewable)
    state = PAYMENTS.with_options("canteen", tuple((c["code"], c["name"]) for c in options)).state(request)
    f = state.filters
    query = (
        await service.payments_query(
            {
                "canteen": f["canteen"],
                "day": date.fromisoformat(f["day"]) if f["day"] else None,
                "status": f["status"],
                "employee_no": f["employee_no"],
                "flagged": f["flagged"] == "1",
            },
            scope=viewable,
        )
    ).select_related("canteen", "terminal", "person")
    refund_scope = scope(request, CanteenPermission.REFUND_PAYMENT)
    periods = await service.period_names()
    return state, query, lambda p: _payment_row(p, refund_scope, periods)


@bp.get("/payments")
@console_page(CanteenPermission.VIEW_PAYMENT)
async def payments(request: Request):
    state, query, row = await _payments_state(request)
    await fetch(state, query, row)
    flash = {"refunded": "已退款，款项已原路退回就餐人账户"}.get(request.args.get("done", ""), "")
    error = REFUND_REFUSALS.get(request.args.get("error", ""), "")
    return await page(
        request,
        "canteen/payments.html",
        state=state,
        flash=flash or error,
        flash_kind="error" if error and not flash else "ok",
        can_refund=can(request, CanteenPermission.REFUND_PAYMENT),
    )


@bp.get("/payments/export.xlsx")
@console_page(CanteenPermission.VIEW_PAYMENT)
async def payments_export(request: Request):
    state, query, row = await _payments_state(request)
    return await export(state, query, row, "消费记录")


@bp.post("/payments/<payment_id:int>/refund")
@console_page(CanteenPermission.REFUND_PAYMENT)
async def refund(request: Request, payment_id: int):
    """Back to the same filtered list, saying what happened; a payment of a canteen outside the
    manager's scope is refused as a page outside their permissions is."""
    back = request.form.get("back") or ""
    back = "/console/canteen/payments" + (back if back.startswith("?") else "?")
    data = form_data(request)
    data.pop("back", None)
    body, _ = validate(RefundIn, data)
    if body is None:
        return redirect(f"{back}&error=reason")
    try:
        await service.refund(
            actor(request), payment_id, body.reason, scope=scope(request, CanteenPermission.REFUND_PAYMENT)
        )
    except AppError as refusal:
        if refusal.code not in REFUND_REFUSALS:
            raise
        return redirect(f"{back}&error=" + quote(refusal.code))
    return redirect(f"{back}&done=refunded")
