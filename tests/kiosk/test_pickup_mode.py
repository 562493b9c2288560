"""The agent in pickup mode (取货核销), against the real backend: staff switch the screen to it,
a scan shows the order's lines and the masked name, 确认交付 hands over what was shown (never
what the page names otherwise), a second scan says when and where it was picked up, and a card
tapped meanwhile pays nothing."""

import aiohttp
import pytest

from backend.shop.models import Order, OrderState
from backend.shop.service import pickup
from backend.wallet.models import Wallet
from kiosk import pickup as kiosk_pickup
from tests.fixtures.canteen import cardholder
from tests.fixtures.kiosk import eventually
from tests.helpers.kiosk import next_event
from tests.helpers.shop_pickup import pickup_agent, ready_order


@pytest.fixture
async def agent(app, shop_world, runtime, tmp_path):
    async with pickup_agent(app.ctx.base_url, runtime.cipher, "T-P", tmp_path) as running:
        yield running


@pytest.fixture
async def screen(agent):
    async with aiohttp.ClientSession() as http:
        socket = await http.ws_connect(f"{agent.screen.url}ws")
        assert (await next_event(socket, "state"))["mode"] == "pay"
        await socket.send_json({"type": "pickup_mode"})
        # A state pushed by the sync loop may come before the one the switch brings.
        while (await next_event(socket, "state"))["mode"] != "pickup":
            pass
        yield socket


async def test_a_scan_shows_the_order_and_confirming_hands_it_over_once(agent, screen, shop_world):
    order = await ready_order(shop_world)
    agent.devices.scanner.tap(pickup.qr_text(order))
    shown = (await next_event(screen, "pickup"))["order"]
    assert (shown["order_no"], shown["person_name"], shown["can_hand_over"]) == (order.order_no, "张*", True)
    assert [(line["product_name"], line["quantity"]) for line in shown["lines"]] == [
        ("阿克苏冰糖心苹果", 1),
        ("径山茶", 2),
    ]

    await screen.send_json({"type": "pickup_confirm", "order_no": order.order_no})
    result = await next_event(screen, "pickup_result")
    assert (result["kind"], result["message"]) == ("handed_over", f"请将商品交给 张*（订单 {order.order_no}）")
    stored = await Order.get(id=order.id)
    assert (stored.state, stored.picked_up_place, stored.picked_up_by) == (
        OrderState.PICKED_UP,
        "第一食堂 T-P",
        "终端 T-P",
    )

    agent.devices.scanner.tap(order.pickup_code)  # typed on the scanner's keypad, or scanned again
    again = (await next_event(screen, "pickup"))["order"]
    assert again["can_hand_over"] is False and "在 第一食堂 T-P 取货" in again["refusal"]
    await screen.send_json({"type": "pickup_confirm", "order_no": order.order_no})
    refused = await next_event(screen, "pickup_result")
    assert (refused["kind"], refused["message"]) == ("refused", kiosk_pickup.SCAN_AGAIN)


async def test_confirming_an_order_other_than_the_one_shown_hands_nothing_over(agent, screen, shop_world):
    shown = await ready_order(shop_world)
    other = await ready_order(shop_world, [(shop_world.tea, 1)])
    agent.devices.scanner.tap(pickup.qr_text(shown))
    await next_event(screen, "pickup")
    await screen.send_json({"type": "pickup_confirm", "order_no": other.order_no})
    assert (await next_event(screen, "pickup_result"))["message"] == kiosk_pickup.SCAN_AGAIN
    assert {o.state for o in await Order.all()} == {OrderState.READY}
    # The order shown was dropped too: confirming it now needs a new scan.
    await screen.send_json({"type": "pickup_confirm", "order_no": shown.order_no})
    assert (await next_event(screen, "pickup_result"))["message"] == kiosk_pickup.SCAN_AGAIN


async def test_an_order_with_a_refund_under_way_is_shown_with_the_reason_and_cannot_be_confirmed(
    agent, screen, shop_world
):
    order = await ready_order(shop_world)
    await Order.filter(id=order.id).update(state=OrderState.REFUNDING, resume_state=OrderState.READY)
    agent.devices.scanner.tap(pickup.qr_text(order))
    shown = (await next_event(screen, "pickup"))["order"]
    assert (shown["can_hand_over"], shown["refusal"]) == (False, "该订单有退款正在办理，办理完成前不能交付")
    await screen.send_json({"type": "pickup_confirm", "order_no": order.order_no})
    assert (await next_event(screen, "pickup_result"))["kind"] == "refused"
    assert (await Order.get(id=order.id)).state == OrderState.REFUNDING


async def test_another_systems_code_is_refused_in_the_backends_words(agent, screen, shop_world):
    agent.devices.scanner.tap("https://example.com/coupon/42")
    result = await next_event(screen, "pickup_result")
    assert (result["kind"], result["message"]) == ("refused", "这不是食味坊的取货码，请出示食味坊订单的取货二维码")


async def test_a_card_tapped_in_pickup_mode_pays_nothing_until_staff_go_back(agent, screen, shop_world):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    before = (await Wallet.get(person_id=person_id)).cash_balance
    agent.devices.card_reader.tap("04A1B2C3")
    result = await next_event(screen, "pickup_result")
    assert (result["kind"], result["message"]) == ("refused", kiosk_pickup.CARD_IN_PICKUP)
    assert (await Wallet.get(person_id=person_id)).cash_balance == before
    await screen.send_json({"type": "pay_mode"})
    await eventually(lambda: agent.snapshot()["mode"] == "pay", what="back to paying")
    assert not agent.pickup.active
