"""The shop's basket and orders in the mini-program, over HTTP: prices sent by the client are
ignored, an order is placed once per client_ref (201, then 200), a cadre sees and cancels only
their own orders, and every refusal comes in the one error shape with a Chinese message."""

from __future__ import annotations

import secrets

from backend.shop.models import Order, OrderState, Sku
from tests.fixtures.shop import make_order
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error


async def _token(client, wechat, no: str = "D0001") -> dict[str, str]:
    return bearer(await bound_token(client, wechat, f"o-{no}", f"1380000000{no[-1]}"))


async def test_the_cart_is_filled_changed_and_emptied_with_server_prices(client, wechat, shop_world):
    w, me = shop_world, await _token(client, wechat)

    put = await client.put(f"/mp/v1/shop/cart/lines/{w.apple.id}", headers=me, json={"quantity": 2, "price_fen": 1})
    assert put.status_code == 200, put.text
    assert put.json()["total_fen"] == 13600 and put.json()["lines"][0]["unit_price_fen"] == 6800
    await client.put(f"/mp/v1/shop/cart/lines/{w.tea.id}", headers=me, json={"quantity": 1})
    removed = await client.delete(f"/mp/v1/shop/cart/lines/{w.apple.id}", headers=me)
    assert [line["sku_id"] for line in removed.json()["lines"]] == [w.tea.id]
    cart = await client.get("/mp/v1/shop/cart", headers=me)
    assert cart.status_code == 200 and cart.json()["orderable"] and cart.json()["cycle"]["title"] == "阿克苏周"

    assert_error(
        await client.put(f"/mp/v1/shop/cart/lines/{w.tea.id}", headers=me, json={"quantity": 120}),
        422,
        "shop.quantity_invalid",
    )
    assert_error(
        await client.put(f"/mp/v1/shop/cart/lines/{w.apple.id}", headers=me, json={"quantity": 3}),
        409,
        "shop.over_limit",
    )


async def test_an_order_ignores_sent_prices_and_is_placed_once_per_client_ref(client, wechat, shop_world):
    w, me = shop_world, await _token(client, wechat)
    body = {
        "client_ref": secrets.token_hex(8),
        "lines": [{"sku_id": w.tea.id, "quantity": 2, "unit_price_fen": 1, "price_fen": 1}],
        "total_fen": 2,
    }

    first = await client.post("/mp/v1/shop/orders", headers=me, json=body)
    again = await client.post("/mp/v1/shop/orders", headers=me, json=body)

    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["order_no"] == again.json()["order_no"]
    assert first.json()["total_fen"] == 24000 and first.json()["lines"][0]["unit_price_fen"] == 12000
    assert await Order.all().count() == 1 and (await Sku.get(id=w.tea.id)).stock == 18


async def test_an_order_from_the_cart_and_its_time_to_pay(client, wechat, shop_world):
    w, me = shop_world, await _token(client, wechat)
    await client.put(f"/mp/v1/shop/cart/lines/{w.fish.id}", headers=me, json={"quantity": 1})

    placed = await client.post("/mp/v1/shop/orders", headers=me, json={"client_ref": secrets.token_hex(8)})

    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert [line["product_name"] for line in order["lines"]] == ["千岛湖鱼干"] and order["can_cancel"]
    stored = await Order.get(order_no=order["order_no"])
    # the test app runs with the default SHOP_PAY_MINUTES
    assert (stored.expires_at - stored.created_at).total_seconds() == 15 * 60
    assert (await client.get("/mp/v1/shop/cart", headers=me)).json()["lines"] == []


async def test_refusals_of_an_order_are_clear(client, wechat, shop_world):
    w, me = shop_world, await _token(client, wechat)

    def order(**fields):
        return client.post("/mp/v1/shop/orders", headers=me, json={"client_ref": secrets.token_hex(8), **fields})

    assert_error(await order(), 422, "shop.cart_empty")
    assert_error(await order(lines=[{"sku_id": w.tea.id, "quantity": 0}]), 422, "shop.quantity_invalid")
    short = assert_error(await order(lines=[{"sku_id": w.tea.id, "quantity": 21}]), 409, "shop.stock_short")
    assert "径山茶" in short["message"]
    assert_error(await order(lines=[{"sku_id": w.tea.id, "quantity": 1}], client_ref="x"), 422, "common.invalid_input")
    assert_error(
        await client.post("/mp/v1/shop/orders", json={"client_ref": secrets.token_hex(8)}),
        401,
        "auth.not_authenticated",
    )


async def test_my_orders_detail_and_cancel_are_mine_only(client, wechat, shop_world):
    w = shop_world
    me, other = await _token(client, wechat), await _token(client, wechat, "D0002")
    pending = await make_order(w, [(w.tea, 1)])
    paid = await make_order(w, [(w.apple, 1)], state=OrderState.PAID)

    listed = await client.get("/mp/v1/shop/orders", headers=me)
    assert listed.status_code == 200 and listed.json()["total"] == 2
    only_paid = await client.get("/mp/v1/shop/orders", headers=me, params={"state": "paid"})
    assert [o["order_no"] for o in only_paid.json()["items"]] == [paid.order_no]
    assert only_paid.json()["items"][0]["pickup"]["code"] == paid.pickup_code
    assert_error(await client.get("/mp/v1/shop/orders", headers=me, params={"state": "x"}), 422, "common.invalid_input")

    detail = await client.get(f"/mp/v1/shop/orders/{pending.order_no}", headers=me)
    assert detail.status_code == 200 and detail.json()["state_label"] == "待支付"
    assert_error(await client.get(f"/mp/v1/shop/orders/{pending.order_no}", headers=other), 404, "shop.order_not_found")
    assert_error(
        await client.post(f"/mp/v1/shop/orders/{pending.order_no}/cancel", headers=other), 404, "shop.order_not_found"
    )

    cancelled = await client.post(f"/mp/v1/shop/orders/{pending.order_no}/cancel", headers=me)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert (await Sku.get(id=w.tea.id)).stock == 20
    assert_error(
        await client.post(f"/mp/v1/shop/orders/{paid.order_no}/cancel", headers=me), 409, "shop.order_not_cancellable"
    )
