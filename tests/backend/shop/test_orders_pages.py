"""The console's shop orders: the list renders for whoever may see the shop and is refused to
anyone else, its filters select what they say, the export holds exactly the filtered rows, and
an order's page shows its lines, payment, refunds and pickup without the cadre's pickup code."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest

from backend.core.timeutil import now
from backend.shop.models import OrderState, Payment, PayMethod, Refund, RefundState
from tests.fixtures.shop import make_order
from tests.helpers import console_admin

VIEWER = ["shop.view_shop"]


@pytest.mark.parametrize("path", ["/console/shop/orders", "/console/shop/orders/export.xlsx"])
async def test_the_orders_pages_render_for_a_viewer_and_are_refused_without_the_permission(client, shop_world, path):
    await console_admin(client, "other", ["repairs.view_report"])
    assert (await client.get(path)).status_code == 403
    await console_admin(client, "viewer", VIEWER)
    assert (await client.get(path)).status_code == 200


async def test_the_filters_select_by_state_cadre_and_order_number(client, shop_world):
    w = shop_world
    pending = await make_order(w, [(w.tea, 1)])
    paid = await make_order(w, [(w.apple, 2)], state=OrderState.PAID, person_id=w.other_cadre_id)
    await console_admin(client, "viewer", VIEWER)

    everything = await client.get("/console/shop/orders")
    assert pending.order_no in everything.text and paid.order_no in everything.text
    assert "阿克苏冰糖心苹果 一箱 5 kg ×2" in everything.text and "张伟（D0001）" in everything.text
    by_state = await client.get("/console/shop/orders", params={"state": "paid"})
    assert paid.order_no in by_state.text and pending.order_no not in by_state.text
    by_name = await client.get("/console/shop/orders", params={"person": "张"})
    assert pending.order_no in by_name.text and paid.order_no not in by_name.text
    by_employee_no = await client.get("/console/shop/orders", params={"person": "d0002"})
    assert paid.order_no in by_employee_no.text and pending.order_no not in by_employee_no.text
    by_number = await client.get("/console/shop/orders", params={"order_no": pending.order_no[-6:]})
    assert pending.order_no in by_number.text and paid.order_no not in by_number.text
    by_cycle = await client.get("/console/shop/orders", params={"cycle": str(w.cycle.id)})
    assert by_cycle.text.count("/console/shop/orders/SO") == 2
    by_day = await client.get("/console/shop/orders", params={"pickup_day": "2001-01-01"})
    assert "没有符合筛选条件的记录" in by_day.text


async def test_the_export_holds_the_filtered_orders_in_yuan(client, shop_world):
    w = shop_world
    paid = await make_order(w, [(w.apple, 2)], state=OrderState.PAID)
    await make_order(w, [(w.tea, 1)])
    await console_admin(client, "viewer", VIEWER)

    exported = await client.get("/console/shop/orders/export.xlsx", params={"state": "paid"})

    assert exported.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("订单号", "下单时间", "下单人", "主题周", "商品", "金额（元）")
    assert len(rows) == 2 and rows[1][0] == paid.order_no and float(rows[1][5]) == 136.0
    assert rows[1][7] == "已支付"


async def test_an_orders_page_shows_lines_payment_refunds_and_pickup_but_not_the_code(client, shop_world):
    w, at = shop_world, now()
    order = await make_order(w, [(w.apple, 2), (w.tea, 1)], state=OrderState.PAID)
    await Payment.create(order=order, method=PayMethod.WALLET, amount_fen=order.total_fen, transfer_id=1, paid_at=at)
    line = await order.lines.filter(sku_id=w.tea.id).first()
    await Refund.create(
        refund_no="SR0001",
        order=order,
        line=line,
        quantity=1,
        amount_fen=12000,
        method=PayMethod.WALLET,
        state=RefundState.REQUESTED,
        reason="茶叶受潮",
        requested_by="张伟",
        created_at=at + timedelta(minutes=5),
    )
    await console_admin(client, "viewer", VIEWER)

    shown = await client.get(f"/console/shop/orders/{order.order_no}")

    assert shown.status_code == 200
    text = shown.text
    for expected in (
        "张伟（D0001）",
        "阿克苏冰糖心苹果",
        "一箱 5 kg",
        "256.00",
        "一卡通余额",
        "SR0001",
        "茶叶受潮",
        "待审核",
    ):
        assert expected in text, expected
    assert "行政中心一号食堂入口" in text and "未取货" in text
    assert order.pickup_code not in text
    missing = await client.get("/console/shop/orders/SO000")
    assert missing.status_code == 404 and "订单不存在" in missing.text
