"""Console page of the shop's refunds (退款): the list by state (cadres' requests waiting first),
approving or rejecting a request, and a staff refund of part of a line found by order number,
once per rendered form."""

from __future__ import annotations

import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import flash, page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.money import format_yuan
from backend.core.timeutil import now
from backend.core.web.validation import query_int
from backend.shop.models import RefundState
from backend.shop.permissions import ShopPermission as P
from backend.shop.schemas import RefundDecisionIn, StaffRefundIn
from backend.shop.service import refunds

bp = Blueprint("shop_refund_pages", url_prefix="/console/shop/refunds")

FLASH = {
    "approved": "已同意退款：一卡通支付的已退回余额，微信支付的已提交微信退款",
    "rejected": "已拒绝该退款申请，订单恢复原状态",
    "refunded": "退款已办理：一卡通支付的已退回余额，微信支付的已提交微信退款",
    "replayed": "这笔退款已经提交过，未重复退款",
}
STAFF_FIELDS = {
    "shop.order_not_found": "order_no",
    "shop.line_not_found": "line_id",
    "shop.refund_over_line": "quantity",
    "shop.refund_quantity_invalid": "quantity",
    "shop.refund_reason_invalid": "reason",
}
STATES = [*((s.value, s.label) for s in RefundState), ("all", "全部")]
PAGE_SIZE = 30


def _state(request: Request) -> RefundState | None:
    value = request.args.get("state", RefundState.REQUESTED.value)
    return RefundState(value) if value in RefundState._value2member_map_ else None


async def _refunds_page(request: Request, status: int = 200, **forms):
    state = _state(request)
    order_no = (request.args.get("order_no") or "").strip()[:32]
    listed = await refunds.list_refunds(state, order_no, query_int(request, "page", 1, 1, 10_000), PAGE_SIZE)
    form = forms.get("staff_form") or {"order_no": (request.args.get("refund_order") or "").strip()[:32]}
    errors = forms.get("staff_errors", FormErrors())
    found = None
    if form.get("order_no"):
        try:
            found = await refunds.order_for_refund(form["order_no"])
        except AppError as refusal:
            errors = FormErrors({"order_no": refusal.message, **errors})
    return await page(
        request,
        "shop/refunds.html",
        status=status,
        listed=listed,
        state=state.value if state else "all",
        order_no=order_no,
        states=STATES,
        flash=flash(request, FLASH),
        decision_errors=forms.get("decision_errors", FormErrors()),
        staff_form=form,
        staff_errors=errors,
        found=found,
        line_options=[
            (
                str(line["id"]),
                f"{line['product_name']} {line['spec']}，单价 {format_yuan(line['unit_price_fen'])} 元，"
                f"可退 {line['left']} 件",
            )
            for line in (found["lines"] if found else [])
            if line["left"] > 0
        ],
        # A fresh key per rendered form: a double click or a resubmitted page refunds once.
        staff_key=secrets.token_urlsafe(18),
        can_refund=request.ctx.principal.can(P.REFUND_ORDER),
    )


@bp.get("")
@console_page(P.VIEW_SHOP)
async def refunds_page(request: Request):
    return await _refunds_page(request)


async def _decide(request: Request, refund_no: str, approve: bool):
    _, errors = await submit(
        RefundDecisionIn,
        form_data(request),
        lambda body: refunds.decide(actor(request), refund_no, approve, body.note, runtime(request).wechatpay, now()),
    )
    if not errors:
        return redirect(f"/console/shop/refunds?done={'approved' if approve else 'rejected'}")
    return await _refunds_page(request, 409, decision_errors=FormErrors({"": "；".join(errors.values())}))


@bp.post("/<refund_no:str>/approve")
@console_page(P.REFUND_ORDER)
async def approve(request: Request, refund_no: str):
    return await _decide(request, refund_no, True)


@bp.post("/<refund_no:str>/reject")
@console_page(P.REFUND_ORDER)
async def reject(request: Request, refund_no: str):
    return await _decide(request, refund_no, False)


@bp.post("/staff")
@console_page(P.REFUND_ORDER)
async def staff_refund(request: Request):
    """A refund made by staff, the form's key making a second submission answer the first."""
    data = form_data(request)
    key = data.pop("idempotency_key", "")
    if not 8 <= len(key) <= 64:
        errors = FormErrors({"": "表单已失效，请刷新页面后重新提交"})
        return await _refunds_page(request, 422, staff_form=posted(request), staff_errors=errors)
    done, errors = await submit(
        StaffRefundIn,
        data,
        lambda body: refunds.refund_by_staff(
            actor(request),
            body.order_no,
            body.line_id,
            body.quantity,
            body.reason,
            runtime(request).wechatpay,
            key,
            now(),
        ),
        STAFF_FIELDS,
    )
    if not errors:
        flag = "replayed" if done["replayed"] else "refunded"
        return redirect(f"/console/shop/refunds?state=all&order_no={done['order_no']}&done={flag}")
    return await _refunds_page(request, 422, staff_form=posted(request), staff_errors=errors)
