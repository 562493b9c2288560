"""The cadre pays a shop order (from the wallet's cash or by WeChat Pay), asks for a refund of
part of a line, and sees their refunds."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, rate_limited, runtime
from backend.core.timeutil import now
from backend.core.web.apidocs import PAGING, Paged, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.shop.schemas import PayIn, PayOut, RefundAskIn, RefundOut
from backend.shop.service import payments, refunds

bp = Blueprint("mp_shop_pay", url_prefix="/shop")
TITLE = "小程序·食味坊支付与退款"


@bp.post("/orders/<order_no:str>/pay")
@api("支付订单（一卡通余额或微信支付）", PayOut)
@cadre_required
@rate_limited("api_rate_limit", "mp_shop_pay", per_principal=True)
@accepts(PayIn)
async def pay(request: Request, order_no: str, body: PayIn):
    """wallet: paid at once (or refused in words); wechat: the parameters of wx.requestPayment,
    the order is paid when WeChat Pay's notification comes. Paying a paid order again answers
    its payment."""
    person_id = request.ctx.principal.person_id
    pay = runtime(request).wechatpay
    if body.method == "wallet":
        return ok({"payment": await payments.pay_with_wallet(person_id, order_no, now(), pay), "request_payment": None})
    return ok(await payments.pay_with_wechat(pay, person_id, order_no, now()))


@bp.post("/orders/<order_no:str>/refunds")
@api("申请退款（某件商品的部分或全部数量）", RefundOut, status=201)
@cadre_required
@rate_limited("api_rate_limit", "mp_shop_refund", per_principal=True)
@accepts(RefundAskIn)
async def ask_refund(request: Request, order_no: str, body: RefundAskIn):
    return ok(
        await refunds.request(
            request.ctx.principal.person_id, order_no, body.line_id, body.quantity, body.reason, now()
        ),
        201,
    )


@bp.get("/refunds")
@api("我的退款（分页）", Paged[RefundOut], query=(*PAGING,))
@cadre_required
async def my_refunds(request: Request):
    return ok(
        await refunds.my_refunds(
            request.ctx.principal.person_id,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )
