"""The agent at a free-amount and a menu terminal, against the real backend: what its screen's
WebSocket may set (checked by the agent, whatever the page checked), what a tap then pays, and
when the order waiting for a tap goes away."""

import asyncio

import aiohttp
import pytest

from backend.canteen.models import CanteenPayment, Dish, TerminalMode
from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.wallet.models import Wallet
from kiosk import agent as agent_module
from kiosk import offline, orders
from kiosk.agent import Agent, Devices
from tests.fixtures.canteen import cardholder, make_terminal
from tests.fixtures.kiosk import eventually, kiosk_config
from tests.helpers.kiosk import next_event


async def started(app, terminal, tmp_path) -> Agent:
    config = kiosk_config(app.ctx.base_url, terminal.code, terminal.secret, tmp_path)
    running = Agent(config, Devices.from_config(config))
    await running.start()
    await eventually(lambda: running.link.online and running.link.risk, what="the agent online")
    return running


@pytest.fixture
async def keypad(app, canteen, runtime, tmp_path):
    running = await started(app, await make_terminal(runtime.cipher, "T-K", TerminalMode.FREE_AMOUNT), tmp_path)
    yield running
    await running.stop()


@pytest.fixture
async def dishes(canteen):
    return [
        await canteens.create_dish(CLI_ACTOR, "ST1", name, price, [], scope=Scope.EVERYTHING)
        for name, price in (("米饭", 100), ("红烧肉", 1200))
    ]


@pytest.fixture
async def menu_terminal(app, canteen, dishes, runtime, tmp_path):
    running = await started(app, await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU), tmp_path)
    yield running
    await running.stop()


@pytest.fixture
async def screen_of():
    sessions = []

    async def connect(agent: Agent):
        http = aiohttp.ClientSession()
        sessions.append(http)
        socket = await http.ws_connect(f"{agent.screen.url}ws")
        assert (await next_event(socket, "state"))["canteen"] == "第一食堂"
        return socket

    yield connect
    for http in sessions:
        await http.close()


async def refusal_of(socket) -> str:
    return (await next_event(socket, "entry_refused"))["message"]


async def test_the_state_tells_the_screen_the_mode_and_the_limit(keypad):
    state = keypad.snapshot()
    assert (state["terminal_mode"], state["fixed_price"], state["max_amount_fen"], state["order"]) == (
        "free_amount",
        False,
        5000,
        None,
    )


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ({"type": "amount"}, orders.AMOUNT_MISSING),
        ({"type": "amount", "yuan": "0"}, orders.AMOUNT_MISSING),
        ({"type": "amount", "yuan": 23.5}, orders.AMOUNT_MISSING),
        ({"type": "amount", "yuan": "23.555"}, orders.AMOUNT_UNREADABLE),
        ({"type": "amount", "yuan": "-5"}, orders.AMOUNT_UNREADABLE),
        ({"type": "amount", "yuan": "50.01"}, "金额超过单笔上限 50.00 元"),  # the canteen's limit, not the page's
        ({"type": "items", "items": [{"dish_id": 1, "quantity": 1}]}, "本机不是菜品消费终端"),
    ],
)
async def test_an_amount_the_page_should_not_have_sent_is_refused_and_nothing_waits(keypad, screen_of, message, words):
    screen = await screen_of(keypad)
    await screen.send_json(message)
    assert await refusal_of(screen) == words
    assert keypad.snapshot()["order"] is None


async def test_the_amount_keyed_is_what_the_next_tap_pays_once(keypad, screen_of):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    screen = await screen_of(keypad)
    await screen.send_json({"type": "amount", "yuan": "12.3"})
    state = await next_event(screen, "state")
    assert state["order"]["total_fen"] == 1230 and state["order"]["lines"] == []

    keypad.devices.card_reader.tap("04A1B2C3")
    paid = await next_event(screen, "result")
    assert (paid["kind"], paid["amount_fen"]) == ("paid", 1230)
    assert (await next_event(screen, "state"))["order"] is None
    keypad.devices.card_reader.tap("04A1B2C3")
    asked = await next_event(screen, "result")
    assert (asked["kind"], asked["code"]) == ("refused", "kiosk.order_required")
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - 1230
    assert await CanteenPayment.all().count() == 1


async def test_a_refused_payment_drops_the_amount_too(keypad, screen_of):
    await cardholder("D0001", "04A1B2C3", cash=100)
    screen = await screen_of(keypad)
    await screen.send_json({"type": "amount", "yuan": "12"})
    await next_event(screen, "state")
    keypad.devices.card_reader.tap("04A1B2C3")
    assert (await next_event(screen, "result"))["code"] == "canteen.insufficient_balance"
    assert keypad.snapshot()["order"] is None


async def test_a_misread_card_leaves_the_amount_waiting(keypad, screen_of):
    screen = await screen_of(keypad)
    await screen.send_json({"type": "amount", "yuan": "12"})
    await next_event(screen, "state")
    keypad.devices.card_reader.tap("04A1")  # too short for a card UID
    assert (await next_event(screen, "result"))["code"] == "kiosk.unreadable_card"
    assert keypad.snapshot()["order"]["total_fen"] == 1200


async def test_cancel_drops_the_amount(keypad, screen_of):
    screen = await screen_of(keypad)
    await screen.send_json({"type": "amount", "yuan": "12"})
    assert (await next_event(screen, "state"))["order"] is not None
    await screen.send_json({"type": "cancel_order"})
    assert (await next_event(screen, "state"))["order"] is None


async def test_an_amount_nobody_paid_goes_away_on_time_and_the_screen_is_told(keypad, screen_of, monkeypatch):
    monkeypatch.setattr(orders, "ORDER_SECONDS", 0.3)
    screen = await screen_of(keypad)
    await screen.send_json({"type": "amount", "yuan": "12"})
    assert (await next_event(screen, "state"))["order"] is not None
    assert (await next_event(screen, "state", timeout=2.0))["order"] is None
    keypad.devices.card_reader.tap("04A1B2C3")
    assert (await next_event(screen, "result"))["code"] == "kiosk.order_required"


async def test_offline_no_amount_is_taken(keypad, screen_of):
    screen = await screen_of(keypad)
    keypad.link.lost()
    await screen.send_json({"type": "amount", "yuan": "12"})
    assert await refusal_of(screen) == offline.NOT_FIXED_PRICE


async def test_a_page_from_another_origin_may_not_talk_to_the_agent(keypad):
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{keypad.screen.url}ws", headers={"Origin": "http://evil.example"})
        assert refused.value.status == 403
        rebound = f"evil.example:{keypad.screen.port}"  # another site's name pointed at this machine
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{keypad.screen.url}ws", headers={"Origin": f"http://{rebound}", "Host": rebound})
        assert refused.value.status == 403
        async with http.ws_connect(f"{keypad.screen.url}ws", headers={"Origin": keypad.screen.url.rstrip("/")}) as own:
            assert (await own.receive_json())["type"] == "state"


async def test_the_menu_is_fetched_and_dishes_chosen_from_it_pay(menu_terminal, dishes, screen_of):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    rice, pork = dishes
    await eventually(lambda: menu_terminal.snapshot()["menu"], what="the menu")
    assert [d["name"] for d in menu_terminal.snapshot()["menu"]["dishes"]] == ["米饭", "红烧肉"]
    screen = await screen_of(menu_terminal)
    await screen.send_json(
        {"type": "items", "items": [{"dish_id": rice["id"], "quantity": 2}, {"dish_id": pork["id"], "quantity": 1}]}
    )
    order = (await next_event(screen, "state"))["order"]
    assert order["total_fen"] == 1400

    menu_terminal.devices.card_reader.tap("04A1B2C3")
    paid = await next_event(screen, "result")
    assert (paid["kind"], paid["amount_fen"]) == ("paid", 1400)
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - 1400


async def test_a_dish_taken_off_sale_leaves_the_menu_with_the_idle_refresh(
    menu_terminal, dishes, screen_of, monkeypatch
):
    rice, pork = dishes
    await eventually(lambda: menu_terminal.snapshot()["menu"], what="the menu")
    await Dish.filter(id=pork["id"]).update(is_active=False)
    menu_terminal._menu_wanted.set()  # the idle refresh, without waiting its 15 seconds
    await eventually(lambda: not menu_terminal.menu.on_sale(pork["id"]), what="the menu refreshed")
    screen = await screen_of(menu_terminal)
    await screen.send_json({"type": "items", "items": [{"dish_id": pork["id"], "quantity": 1}]})
    assert await refusal_of(screen) == orders.DISH_GONE
    await screen.send_json({"type": "amount", "yuan": "12"})
    assert await refusal_of(screen) == "本机不是自由金额终端"


async def test_the_menu_follows_the_idle_refresh(app, canteen, dishes, runtime, tmp_path, monkeypatch):
    monkeypatch.setattr(agent_module, "IDLE_REFRESH_SECONDS", 0.2)
    running = await started(app, await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU), tmp_path)
    try:
        await eventually(lambda: running.menu, what="the menu")
        await canteens.create_dish(CLI_ACTOR, "ST1", "番茄蛋汤", 300, [], scope=Scope.EVERYTHING)
        await eventually(lambda: len(running.menu.dishes) == 3, timeout=5, what="the new dish on the menu")
    finally:
        await running.stop()
    await asyncio.sleep(0)
