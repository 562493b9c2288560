"""Pickup of a shop order in a real Chromium: at the kiosk screen (1280×800) staff switch to
取货核销, the scanner reads the cadre's QR, the order's lines and masked name are shown, 确认交付
hands it over and a second scan says when and where; at the console's pickup page for a
counter without a terminal; and a cadre's whole journey: order and pay in the mini-program,
arrival marked in the console, pickup at the kiosk. Screenshots for a person to look at."""

from datetime import date

import pytest

from backend.shop.models import Order, OrderState
from backend.shop.service import pickup
from tests.helpers import bearer, make_admin
from tests.helpers.browser import kiosk_screen, log_in
from tests.helpers.cadres import bound_token
from tests.helpers.shop_money import assert_shop_books_clean
from tests.helpers.shop_pickup import pickup_agent, ready_order


@pytest.fixture
async def agent(app, shop_world, runtime, tmp_path):
    async with pickup_agent(app.ctx.base_url, runtime.cipher, "T-1", tmp_path) as running:
        yield running


@pytest.fixture
async def kiosk_page(chromium, agent):
    async with kiosk_screen(chromium, agent) as page:
        yield page


async def test_staff_hand_an_order_over_at_the_kiosk_screen_once(kiosk_page, agent, shop_world, screenshot):
    order = await ready_order(shop_world)
    page = kiosk_page
    await page.get_by_role("button", name="取货核销").click()
    await page.locator("#pickup-prompt").wait_for(state="visible")
    assert await page.get_by_role("button", name="返回收款").is_visible()
    await screenshot(page, "kiosk-pickup-prompt")

    agent.devices.scanner.tap(pickup.qr_text(order))
    shown = page.locator("#pickup-order")
    await shown.wait_for(state="visible")
    text = await shown.inner_text()
    for words in ("张*", "待取货", "阿克苏冰糖心苹果　一箱 5 kg", "× 1", "径山茶　250 g", "× 2", order.order_no):
        assert words in text
    await screenshot(page, "kiosk-pickup-order")

    await page.get_by_role("button", name="确认交付").click()
    handed = page.locator("#result[data-kind=handed_over]")
    await handed.wait_for(state="visible")
    assert "已交付" in await handed.inner_text()
    await screenshot(page, "kiosk-pickup-handed-over")
    assert (await Order.get(id=order.id)).state == OrderState.PICKED_UP

    await handed.click()  # staff need not wait for the result to go
    agent.devices.scanner.tap(pickup.qr_text(order))
    await page.locator("#pickup-refusal", has_text="在 第一食堂 T-1 取货").wait_for(state="visible")
    assert not await page.get_by_role("button", name="确认交付").is_visible()
    await screenshot(page, "kiosk-pickup-already")

    await page.get_by_role("button", name="返回收款").click()
    await page.locator("#idle").wait_for(state="visible")
    assert await page.get_by_role("button", name="取货核销").is_visible()


async def test_the_console_counter_checks_a_code_and_confirms(browser_page, shop_world, screenshot):
    order = await ready_order(shop_world)
    late = await ready_order(shop_world, [(shop_world.fish, 1)])
    await Order.filter(id=late.id).update(pickup_day=date(2020, 1, 1))
    await make_admin("counter", ["shop.hand_over"])
    page = browser_page
    await log_in(page, "counter")
    await page.get_by_role("link", name="取货核销").click()
    await page.get_by_label("取货码").fill(order.pickup_code)
    await page.get_by_role("button", name="查询订单").click()
    found = page.get_by_test_id("pickup-order")
    await found.wait_for()
    assert "张*" in await found.inner_text()
    await screenshot(page, "console-shop-pickup-order", full_page=True)

    await page.get_by_test_id("pickup-confirm").click()
    await page.get_by_role("status").filter(has_text="已交付").wait_for()
    assert "交付完成。该订单已于" in await page.get_by_test_id("pickup-refusal").inner_text()
    await screenshot(page, "console-shop-pickup-done", full_page=True)
    assert (await Order.get(id=order.id)).state == OrderState.PICKED_UP
    assert late.order_no in await page.get_by_test_id("pickup-unpicked").inner_text()

    await page.get_by_role("link", name="仪表盘").click()
    card = page.get_by_test_id("shop-pickup-card")
    await card.wait_for()
    assert "今日已取货" in await card.inner_text()
    await page.get_by_text("1 个食味坊订单过了取货日仍未取货").wait_for()
    await screenshot(page, "console-dashboard-shop-pickup", full_page=True)


async def test_a_cadre_orders_and_pays_in_the_mini_program_and_picks_up_at_the_kiosk(
    kiosk_page, browser_page, agent, client, wechat, shop_world, screenshot
):
    token = await bound_token(client, wechat)
    cart = await client.put(
        f"/mp/v1/shop/cart/lines/{shop_world.apple.id}", headers=bearer(token), json={"quantity": 2}
    )
    assert cart.status_code == 200, cart.text
    placed = await client.post("/mp/v1/shop/orders", headers=bearer(token), json={"client_ref": "journey-0001"})
    assert placed.status_code == 201, placed.text
    order_no = placed.json()["order_no"]
    paid = await client.post(f"/mp/v1/shop/orders/{order_no}/pay", headers=bearer(token), json={"method": "wallet"})
    assert paid.status_code in (200, 201), paid.text
    assert paid.json()["payment"]["state"] == "paid"
    qr = await client.get(f"/mp/v1/shop/orders/{order_no}/pickup-qr", headers=bearer(token))
    assert (qr.status_code, qr.headers["content-type"]) == (200, "image/png")

    # the goods arrive: the counter marks the pickup day in the console
    await make_admin("arrivals", ["shop.hand_over"])
    console = browser_page
    await log_in(console, "arrivals")
    await console.goto("/console/shop/pickup")
    await console.get_by_role("button", name="到货").click()
    await console.wait_for_load_state()
    await screenshot(console, "console-shop-arrival", full_page=True)
    order = await Order.get(order_no=order_no)
    assert order.state == OrderState.READY

    page = kiosk_page
    await page.get_by_role("button", name="取货核销").click()
    agent.devices.scanner.tap(pickup.qr_text(order))
    shown = page.locator("#pickup-order")
    await shown.wait_for(state="visible")
    assert "阿克苏冰糖心苹果　一箱 5 kg" in await shown.inner_text()
    await page.get_by_role("button", name="确认交付").click()
    await page.locator("#result[data-kind=handed_over]").wait_for(state="visible")
    await screenshot(page, "kiosk-journey-handed-over")
    assert (await Order.get(id=order.id)).state == OrderState.PICKED_UP
    await assert_shop_books_clean()
