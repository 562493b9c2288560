"""The produce shop's basket and orders in the mini-program (共富食味坊): the basket of this week's
theme, placing an order (once per client_ref, at the server's prices), my orders, and cancelling
an unpaid order. Another cadre's order is not found."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, runtime
from backend.core.errors import CommonError
from backend.core.timeutil import now
from backend.core.web.apidocs import PAGING, Paged, Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.modules import settings_of
from backend.shop.models import OrderState
from backend.shop.schemas import CartLineIn, CartOut, OrderIn, OrderOut
from backend.shop.service import orders

bp = Blueprint("mp_shop_orders", url_prefix="/shop")
TITLE = "小程序·食味坊订单"


@bp.get("/cart")
@api("我的购物车（本期主题周，服务端价格与可购状态）", CartOut)
@cadre_required
async def cart(request: Request):
    return ok(await orders.basket_view(request.ctx.principal.person_id, now()))


@bp.put("/cart/lines/<sku_id:int>")
@api("设置购物车中某规格的数量（0 为移出）", CartOut)
@cadre_required
@accepts(CartLineIn)
async def set_cart_line(request: Request, sku_id: int, body: CartLineIn):
    return ok(await orders.set_line(request.ctx.principal.person_id, sku_id, body.quantity, now()))


@bp.delete("/cart/lines/<sku_id:int>")
@api("从购物车移出某规格", CartOut)
@cadre_required
async def remove_cart_line(request: Request, sku_id: int):
    return ok(await orders.set_line(request.ctx.principal.person_id, sku_id, 0, now()))


@bp.post("/orders")
@api("下单（锁定库存，待支付；同一 client_ref 只下一单）", OrderOut, status=(201, 200))
@cadre_required
@accepts(OrderIn)
async def place(request: Request, body: OrderIn):
    """201 with the new order; 200 with the order already placed under the same client_ref."""
    lines = None if body.lines is None else [(line.sku_id, line.quantity) for line in body.lines]
    placed, created = await orders.place(
        request.ctx.principal.person_id,
        body.client_ref,
        now(),
        lines,
        pay_minutes=settings_of(runtime(request).settings, "shop").pay_minutes,
    )
    return ok(placed, 201 if created else 200)


@bp.get("/orders")
@api(
    "我的订单（分页，最新在前）",
    Paged[OrderOut],
    query=(*PAGING, Query("state", "订单状态", choices=OrderState)),
)
@cadre_required
async def my_orders(request: Request):
    raw_state = request.args.get("state") or ""
    try:
        state = OrderState(raw_state) if raw_state else None
    except ValueError:
        invalid = [{"field": "state", "message": "订单状态无效"}]
        raise CommonError.INVALID_INPUT.error(details={"fields": invalid}) from None
    return ok(
        await orders.my_orders(
            request.ctx.principal.person_id,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
            state,
        )
    )


@bp.get("/orders/<order_no:str>")
@api("订单详情", OrderOut)
@cadre_required
async def order_detail(request: Request, order_no: str):
    return ok(await orders.my_order(request.ctx.principal.person_id, order_no))


@bp.post("/orders/<order_no:str>/cancel")
@api("取消待支付的订单（释放库存）", OrderOut)
@cadre_required
async def cancel(request: Request, order_no: str):
    return ok(await orders.cancel(request.ctx.principal.person_id, order_no, now()))
