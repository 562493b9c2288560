"""Pickup over HTTP: the canteen terminals' API (signed, canteen terminals only), the cadre's
pickup QR in the mini-program, the console's pickup page with its 到货 button, and the
dashboard card 今日取货."""

import io
import re
from datetime import date

import pytest
from PIL import Image

from backend.core import timeutil
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.shop.models import Order, OrderState
from backend.shop.service import pickup
from kiosk.backend_client import signature_headers
from tests.fixtures.shop import make_order
from tests.helpers import bearer, console_admin, json_body, superadmin_token
from tests.helpers.cadres import bound_token
from tests.helpers.shop_pickup import CONFIRM, LOOKUP, pickup_terminals, ready_order, signed_post

ENGLISH = re.compile(r"shop\.[a-z_]+|_fen\b|picked_up|\bready\b")


def main_text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html.split("<main", 1)[-1])


# ---- terminals -----------------------------------------------------------------------------------


async def test_a_terminal_looks_up_a_scanned_qr_and_hands_the_order_over_once(client, shop_world, runtime):
    first, second = await pickup_terminals(runtime.cipher, "T-1", "T-2")
    order = await ready_order(shop_world)
    qr = pickup.qr_text(order)

    found = await signed_post(client, first, LOOKUP, {"code": qr})
    assert found.status_code == 200, found.text
    assert (found.json()["person_name"], found.json()["can_hand_over"]) == ("张*", True)

    handed = await signed_post(client, first, CONFIRM, {"order_no": order.order_no, "code": qr})
    assert handed.status_code == 200, handed.text
    assert (handed.json()["state_label"], handed.json()["picked_up_place"]) == ("已取货", "第一食堂 T-1")

    again = await signed_post(client, second, CONFIRM, {"order_no": order.order_no, "code": order.pickup_code})
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "shop.already_picked_up" and "在 第一食堂 T-1 取货" in error["message"]
    stored = await Order.get(id=order.id)
    assert (stored.picked_up_by, stored.picked_up_place) == ("终端 T-1", "第一食堂 T-1")


async def test_a_terminal_is_told_in_words_what_is_wrong_with_a_code(client, shop_world, runtime):
    (terminal,) = await pickup_terminals(runtime.cipher, "T-1")
    order = await ready_order(shop_world)
    foreign = await signed_post(client, terminal, LOOKUP, {"code": "https://example.com/pay?id=1"})
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (422, "shop.pickup_code_foreign")
    unknown = await signed_post(client, terminal, LOOKUP, {"code": "HQSHOP:1:SO0000:12345678"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "shop.pickup_code_unknown")
    other_order = await signed_post(
        client, terminal, CONFIRM, {"order_no": "SO0000", "code": pickup.qr_text(order)}
    )  # a QR read for one order cannot confirm another
    assert other_order.json()["error"]["code"] == "shop.pickup_code_unknown"
    assert (await Order.get(id=order.id)).state == OrderState.READY
    empty = await signed_post(client, terminal, LOOKUP, {"code": ""})
    assert empty.status_code == 422


async def test_only_a_signed_canteen_terminal_may_look_up_or_hand_over(client, shop_world, runtime):
    await pickup_terminals(runtime.cipher)
    order = await ready_order(shop_world)
    token = await superadmin_token(client)
    kiosk = (
        await client.post(
            "/admin/v1/devices", headers=bearer(token), json={"code": "K-01", "name": "自助机", "kind": "kiosk"}
        )
    ).json()
    body = json_body({"order_no": order.order_no, "code": order.pickup_code})
    headers = {
        **signature_headers("K-01", kiosk["secret"], "POST", CONFIRM, "", body),
        "Content-Type": "application/json",
    }
    refused = await client.post(CONFIRM, content=body, headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "canteen.not_a_terminal"
    unsigned = await client.post(CONFIRM, json={"order_no": order.order_no, "code": order.pickup_code})
    assert unsigned.status_code == 401
    assert (await Order.get(id=order.id)).state == OrderState.READY


# ---- the mini-program ----------------------------------------------------------------------------


async def test_a_cadre_gets_the_pickup_qr_of_their_own_paid_order_only(client, shop_world, wechat):
    token = await bound_token(client, wechat)
    paid = await make_order(shop_world, [(shop_world.apple, 1)], state=OrderState.PAID)
    response = await client.get(f"/mp/v1/shop/orders/{paid.order_no}/pickup-qr", headers=bearer(token))
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.headers["cache-control"].startswith("private")
    assert Image.open(io.BytesIO(response.content)).size[0] > 100

    pending = await make_order(shop_world, [(shop_world.tea, 1)])
    unpaid = await client.get(f"/mp/v1/shop/orders/{pending.order_no}/pickup-qr", headers=bearer(token))
    assert unpaid.status_code == 409 and unpaid.json()["error"]["message"] == "订单待支付，没有可用的取货码"
    theirs = await make_order(
        shop_world, [(shop_world.tea, 1)], state=OrderState.PAID, person_id=shop_world.other_cadre_id
    )
    other = await client.get(f"/mp/v1/shop/orders/{theirs.order_no}/pickup-qr", headers=bearer(token))
    assert other.status_code == 404 and other.json()["error"]["code"] == "shop.order_not_found"
    anonymous = await client.get(f"/mp/v1/shop/orders/{paid.order_no}/pickup-qr")
    assert anonymous.status_code == 401


# ---- the console ---------------------------------------------------------------------------------


async def test_the_counter_looks_up_a_typed_code_and_confirms_the_hand_over(client, shop_world):
    csrf = await console_admin(client, "counter", ["shop.hand_over"])
    order = await ready_order(shop_world)
    page = await client.get(f"/console/shop/pickup?code={order.pickup_code}")
    assert page.status_code == 200
    text = main_text(page.text)
    assert "张*" in text and "阿克苏冰糖心苹果" in text and "确认交付" in text and "张伟" not in text
    assert not ENGLISH.search(text)

    confirmed = await client.post(
        "/console/shop/pickup/confirm",
        data={"csrf_token": csrf, "order_no": order.order_no, "code": order.pickup_code},
        follow_redirects=True,
    )
    assert confirmed.status_code == 200 and "已交付" in confirmed.text
    assert (await Order.get(id=order.id)).picked_up_place == "控制台取货核销"
    assert await AuditEntry.filter(action="shop.hand_over_order", object_id=str(order.id)).count() == 1

    again = await client.post(
        "/console/shop/pickup/confirm",
        data={"csrf_token": csrf, "order_no": order.order_no, "code": order.pickup_code},
    )
    assert again.status_code == 409 and "在 控制台取货核销 取货" in again.text
    forged = await client.get("/console/shop/pickup?code=HQSHOP:1:SO1:00000000")
    assert "取货码无效或与订单不符" in forged.text


async def test_the_arrival_button_readies_a_pickup_day(client, shop_world):
    csrf = await console_admin(client, "counter", ["shop.hand_over"])
    day = shop_world.cycle.pickup_days[0]
    order = await make_order(shop_world, [(shop_world.apple, 1)], state=OrderState.PAID)
    page = await client.get(f"/console/shop/pickup?day={day}")
    assert "到货" in page.text and order.order_no in page.text
    done = await client.post(
        "/console/shop/pickup/ready",
        data={"csrf_token": csrf, "cycle_id": shop_world.cycle.id, "pickup_day": day},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "已标记到货，并已通知取货人（1 个订单）" in done.text
    assert (await Order.get(id=order.id)).state == OrderState.READY
    wrong = await client.post(
        "/console/shop/pickup/ready",
        data={"csrf_token": csrf, "cycle_id": shop_world.cycle.id, "pickup_day": "2001-01-01"},
    )
    assert wrong.status_code == 422 and "2001-01-01 不是该主题周的取货日" in wrong.text


@pytest.mark.parametrize("path", ["/console/shop/pickup/confirm", "/console/shop/pickup/ready"])
async def test_an_admin_without_the_hand_over_permission_is_refused(client, shop_world, path):
    csrf = await console_admin(client, "viewer", ["shop.view_shop"])
    order = await ready_order(shop_world)
    assert (await client.get("/console/shop/pickup")).status_code == 403
    refused = await client.post(
        path,
        data={
            "csrf_token": csrf,
            "order_no": order.order_no,
            "code": order.pickup_code,
            "cycle_id": shop_world.cycle.id,
            "pickup_day": shop_world.cycle.pickup_days[0],
        },
    )
    assert refused.status_code == 403
    assert (await Order.get(id=order.id)).state == OrderState.READY


async def test_the_dashboard_card_counts_todays_pickups(client, shop_world):
    await console_admin(client, "counter", ["shop.hand_over"])
    today = timeutil.today()
    waiting = await ready_order(shop_world)
    picked = await ready_order(shop_world, [(shop_world.tea, 1)])
    await Order.filter(id=waiting.id).update(pickup_day=today)
    await pickup.hand_over(picked.order_no, picked.pickup_code, "控制台取货核销", "测试", now())
    late = await ready_order(shop_world, [(shop_world.fish, 1)])
    await Order.filter(id=late.id).update(pickup_day=date(2020, 1, 1))
    page = await client.get("/console/")
    card = page.text.split('data-testid="shop-pickup-card"', 1)[1]
    assert re.search(r'data-testid="shop-ready">1<', card) and re.search(r'data-testid="shop-picked-up">1<', card)
    assert "1 个食味坊订单过了取货日仍未取货" in page.text


async def test_the_pickup_page_lists_orders_left_past_the_unpicked_days(client, shop_world):
    await console_admin(client, "counter", ["shop.hand_over"])
    late = await ready_order(shop_world)
    recent = await ready_order(shop_world, [(shop_world.tea, 1)])
    await Order.filter(id=late.id).update(pickup_day=date(2020, 1, 1))
    await Order.filter(id=recent.id).update(pickup_day=timeutil.today())
    page = await client.get("/console/shop/pickup")
    section = page.text.split('data-testid="pickup-unpicked"', 1)[1].split("</section>", 1)[0]
    assert "逾期未取（过取货日 3 天以上，1 单）" in section and "这些订单保留为待取货" in section
    assert late.order_no in section and "阿克苏冰糖心苹果 × 1，径山茶 × 2" in section
    assert recent.order_no not in section
