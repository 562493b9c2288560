"""The console's refunds page (退款): requests waiting first, approved or rejected from the list;
a staff refund found by order number, once per rendered form; refusals in words at their
fields; only the shop's staff get in, and only refund handlers act."""

import re

from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.shop.models import OrderLine, Refund, RefundState
from backend.shop.service import refunds
from tests.fixtures.shop import make_order
from tests.helpers import console_admin
from tests.helpers.shop_money import cash_of, paid_by_wallet

HANDLER = ["shop.view_shop", "shop.refund_order"]
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


async def asked(world) -> tuple[str, str]:
    order = await paid_by_wallet(await make_order(world, [(world.apple, 2)]))
    line = await OrderLine.get(order_id=order.id)
    refund = await refunds.request(world.cadre_id, order.order_no, line.id, 1, "一箱有磕碰", now())
    return order.order_no, refund["refund_no"]


async def test_requests_are_listed_first_and_approved_from_the_list(client, shop_world):
    order_no, refund_no = await asked(shop_world)
    csrf = await console_admin(client, "shopdesk", HANDLER)
    listed = await client.get("/console/shop/refunds")
    assert listed.status_code == 200
    assert refund_no in listed.text and "一箱有磕碰" in listed.text and "待审核" in listed.text
    approved = await client.post(
        f"/console/shop/refunds/{refund_no}/approve", data={"csrf_token": csrf, "note": "核实属实"}
    )
    assert approved.headers["location"] == "/console/shop/refunds?done=approved"
    refund = await Refund.get(refund_no=refund_no)
    assert (refund.state, refund.decided_by, refund.decision_note) == (RefundState.SUCCEEDED, "shopdesk", "核实属实")
    assert await cash_of(shop_world.cadre_id) == 50_000 - 13_600 + 6_800
    again = await client.post(f"/console/shop/refunds/{refund_no}/reject", data={"csrf_token": csrf})
    assert again.status_code == 409 and "这笔退款申请已经处理过了" in again.text
    shown = await client.get("/console/shop/refunds?state=succeeded")
    assert refund_no in shown.text and "已退款" in shown.text


async def test_a_request_is_rejected_from_the_list(client, shop_world):
    _, refund_no = await asked(shop_world)
    csrf = await console_admin(client, "shopdesk", HANDLER)
    rejected = await client.post(f"/console/shop/refunds/{refund_no}/reject", data={"csrf_token": csrf})
    assert rejected.headers["location"].endswith("done=rejected")
    assert (await Refund.get(refund_no=refund_no)).state == RefundState.REJECTED
    assert await AuditEntry.filter(action="shop.reject_refund").count() == 1


async def test_staff_refund_a_line_found_by_order_number_once_per_form(client, shop_world):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2), (shop_world.tea, 1)]))
    tea = await OrderLine.get(order_id=order.id, sku_id=shop_world.tea.id)
    csrf = await console_admin(client, "shopdesk", HANDLER)
    found = await client.get(f"/console/shop/refunds?refund_order={order.order_no}")
    assert "径山茶 250 g，单价 120.00 元，可退 1 件" in found.text and "张伟" in found.text
    form = {
        "csrf_token": csrf,
        "idempotency_key": KEY.search(found.text).group(1),
        "order_no": order.order_no,
        "line_id": str(tea.id),
        "quantity": "1",
        "reason": "供货方缺货",
    }
    done = await client.post("/console/shop/refunds/staff", data=form)
    assert done.status_code == 302 and done.headers["location"].endswith("done=refunded")
    again = await client.post("/console/shop/refunds/staff", data=form)
    assert again.headers["location"].endswith("done=replayed")
    assert await Refund.all().count() == 1
    assert await cash_of(shop_world.cadre_id) == 50_000 - 25_600 + 12_000
    page = await client.get(again.headers["location"])
    assert "这笔退款已经提交过，未重复退款" in page.text and "供货方缺货" in page.text


async def test_refusals_are_shown_in_words_at_their_fields(client, shop_world):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.tea, 1)]))
    tea = await OrderLine.get(order_id=order.id)
    csrf = await console_admin(client, "shopdesk", HANDLER)
    unknown = await client.get("/console/shop/refunds?refund_order=SO404")
    assert "订单不存在" in unknown.text
    page = await client.get(f"/console/shop/refunds?refund_order={order.order_no}")
    over = await client.post(
        "/console/shop/refunds/staff",
        data={
            "csrf_token": csrf,
            "idempotency_key": KEY.search(page.text).group(1),
            "order_no": order.order_no,
            "line_id": str(tea.id),
            "quantity": "2",
            "reason": "供货方缺货",
        },
    )
    assert over.status_code == 422 and "“径山茶”最多还能退 1 件" in over.text
    assert "shop.refund_over_line" not in over.text
    assert not await Refund.exists()


async def test_only_refund_handlers_act_and_only_shop_staff_see_the_page(client, shop_world):
    _, refund_no = await asked(shop_world)
    csrf = await console_admin(client, "viewer", ["shop.view_shop"])
    page = await client.get("/console/shop/refunds")
    assert page.status_code == 200 and "同意退款" not in page.text and "办理退款" not in page.text
    refused = await client.post(f"/console/shop/refunds/{refund_no}/approve", data={"csrf_token": csrf})
    assert refused.status_code == 403
    await console_admin(client, "canteen", ["canteen.view_payment"])
    assert (await client.get("/console/shop/refunds")).status_code == 403
