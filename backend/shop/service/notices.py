"""What the shop tells cadres through WeChat subscribe messages (sent by backend.notices), all
with one template, shop.order (WECHAT_SHOP_TEMPLATE_ID): the goods arrived and wait to be picked
up (到货待取), a reminder when they are still there (取货提醒), and a refund's result (退款结果).
The message is read from the order when it is sent, so a retry tells how the order stands then."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend.core.money import format_yuan
from backend.notices import service as notices
from backend.shop.models import Order, OrderLine, OrderState

ORDER_NOTICE = "shop.order"


async def tell_cadre(conn: Any, order_id: int, person_id: int, at: datetime) -> None:
    """A notice to the order's cadre of how the order stands, in the caller's transaction."""
    await notices.queue(conn, ORDER_NOTICE, person_id, order_id, at)


def _progress(order: Order) -> tuple[str, str]:
    """(state in at most 5 characters, note) as the cadre should read them now."""
    if order.state == OrderState.READY:
        if order.reminded_at:
            return "取货提醒", f"尚未取货，请尽快到{order.pickup_place}取货"
        return "到货待取", f"请到{order.pickup_place}出示取货码取货"
    if order.refunded_fen and order.state != OrderState.REFUNDING:
        whole = order.state == OrderState.REFUNDED
        return ("已退款" if whole else "部分退款"), f"已退回 {format_yuan(order.refunded_fen)} 元"
    return order.state.label, order.pickup_place


async def render_order(order_id: int) -> notices.Message | None:
    order = await Order.get_or_none(id=order_id)
    if order is None:
        return None
    names = await OrderLine.filter(order_id=order_id).order_by("id").values_list("product_name", flat=True)
    goods = names[0] + (f"等{len(names)}件商品" if len(names) > 1 else "") if names else "食味坊订单"
    state, note = _progress(order)
    # Keys fixed by the template (see the README on WECHAT_SHOP_TEMPLATE_ID), cut to WeChat's
    # limits (thing ≤ 20 characters, phrase ≤ 5).
    data = {
        "character_string1": order.order_no,
        "thing2": goods[:20],
        "phrase3": state[:5],
        "time4": order.pickup_day.isoformat(),
        "thing5": note[:20] or "无",
    }
    return notices.Message(data, f"pages/shop/order?no={order.order_no}")
