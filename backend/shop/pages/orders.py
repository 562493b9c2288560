"""The console's orders of the produce shop (订单): the list with filters (theme week, state,
pickup day, cadre, order number) and its Excel export, and an order's page with its lines, its
payment, its refunds and its pickup, as the tables hold them."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.console.render import page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.shop.models import OrderState
from backend.shop.permissions import ShopPermission as P
from backend.shop.service import orders

bp = Blueprint("console_shop_orders", url_prefix="/console/shop/orders")

ORDERS = Table(
    title="食味坊订单",
    columns=(
        Column("order_no", "订单号", href="/console/shop/orders/{order_no}"),
        Column("created_at", "下单时间", sort="created_at", kind="datetime"),
        Column("person_label", "下单人"),
        Column("cycle_title", "主题周"),
        Column("goods", "商品"),
        Column("total_fen", "金额", sort="total_fen", kind="money"),
        Column("refunded_fen", "已退款", kind="money"),
        Column("state_label", "状态"),
        Column("pay_method_label", "支付方式"),
        Column("pickup_day", "取货日", sort="pickup_day", kind="date"),
        Column("picked_up_at", "取货时间", kind="datetime"),
    ),
    default_sort="-created_at",
    filters=(
        Filter("cycle", "主题周", kind="select"),
        Filter("state", "状态", kind="select", options=tuple(OrderState.labels().items())),
        Filter("pickup_day", "取货日", kind="date"),
        Filter("person", "下单人", max_length=32, placeholder="姓名或工号"),
        Filter("order_no", "订单号", max_length=32),
    ),
)


async def _orders_state(request: Request):
    state = ORDERS.with_options("cycle", tuple(await orders.cycle_choices())).state(request)
    f = state.filters
    query = orders.orders_query(
        orders.OrderFilters(
            cycle_id=int(f["cycle"]) if f["cycle"] else None,
            state=OrderState(f["state"]) if f["state"] else None,
            pickup_day=date.fromisoformat(f["pickup_day"]) if f["pickup_day"] else None,
            person=f["person"],
            order_no=f["order_no"],
        )
    )
    return state, query


@bp.get("")
@console_page(P.VIEW_SHOP)
async def order_list(request: Request):
    state, query = await _orders_state(request)
    await fetch(state, query, orders.order_row)
    return await page(request, "shop/orders.html", state=state)


@bp.get("/export.xlsx")
@console_page(P.VIEW_SHOP)
async def order_export(request: Request):
    state, query = await _orders_state(request)
    return await export(state, query, orders.order_row, "食味坊订单")


@bp.get("/<order_no:str>")
@console_page(P.VIEW_SHOP)
async def order_page(request: Request, order_no: str):
    order = await orders.order_view(await orders.find_order(order_no), for_staff=True)
    lines_by_id = {line["id"]: f"{line['product_name']} {line['spec']}" for line in order["lines"]}
    return await page(request, "shop/order.html", order=order, lines_by_id=lines_by_id)
