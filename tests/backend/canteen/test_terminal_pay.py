"""Paying at a terminal: subsidy first then cash, the limits, the refusals a diner reads, and
retries that charge nothing more."""

from datetime import time

from backend.accounts.models import Person, StaffCategory
from backend.canteen.models import CanteenPayment, DinerCategory, TerminalMode
from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.wallet.models import Card, CardState, Wallet
from tests.fixtures.canteen import LUNCH_PRICE, SUBSIDY_CAP, cardholder, make_terminal, pay
from tests.helpers.money import assert_books_clean


async def test_card_payment_uses_subsidy_first_then_cash(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=3000)
    response = await pay(client, terminal, "TX1", card_uid="04:a1:b2:c3")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "paid" and body["name"] == "张*"
    assert (body["amount_fen"], body["subsidy_fen"], body["cash_fen"]) == (
        LUNCH_PRICE,
        SUBSIDY_CAP,
        LUNCH_PRICE - SUBSIDY_CAP,
    )
    assert body["balance"] == {"cash_fen": 5000 - 500, "subsidy_fen": 3000 - 1000}
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (4500, 2000)
    await assert_books_clean()


async def test_a_visitor_pays_the_visitor_price_and_is_refused_where_there_is_none(client, terminal):
    await Person.filter(employee_no="D0001").update(staff_category=StaffCategory.VISITOR)
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=3000)
    refused = await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    assert refused.status_code == 402 and refused.json()["error"]["code"] == "canteen.no_price"
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59, 59),
        1,
        {DinerCategory.STAFF: (LUNCH_PRICE, SUBSIDY_CAP), DinerCategory.VISITOR: (2500, 0)},
        scope=Scope.EVERYTHING,
    )
    paid = await pay(client, terminal, "TX2", card_uid="04A1B2C3")
    assert paid.status_code == 200, paid.text
    assert (paid.json()["amount_fen"], paid.json()["subsidy_fen"]) == (2500, 0)
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (2500, 3000)


async def test_retry_with_same_transaction_number_returns_first_answer_and_charges_once(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    first = await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    again = await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    assert again.status_code == 200 and again.json() == first.json()
    assert (await Wallet.get(person_id=person_id)).cash_balance == 3500
    assert await CanteenPayment.filter(terminal_txn_no="TX1").count() == 1


async def test_second_lunch_is_refused_by_the_meal_limit(client, terminal):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    assert (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).status_code == 200
    second = await pay(client, terminal, "TX2", card_uid="04A1B2C3")
    assert second.status_code == 402
    assert second.json()["error"] == {"code": "canteen.meal_limit_reached", "message": "本餐已消费，每餐限 1 次"}
    replay = await pay(client, terminal, "TX2", card_uid="04A1B2C3")
    assert replay.status_code == 402 and replay.json() == second.json()


async def test_insufficient_balance_is_refused_and_nothing_moves(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=400, subsidy=100)
    response = await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    assert response.status_code == 402 and response.json()["error"]["code"] == "canteen.insufficient_balance"
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (400, 100)
    await assert_books_clean()


async def test_unknown_lost_and_cancelled_cards_are_refused_in_words(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    unknown = await pay(client, terminal, "TX1", card_uid="DEADBEEF")
    assert unknown.json()["error"] == {"code": "canteen.unknown_card", "message": "未登记的卡，请到食堂服务台办理"}
    await Card.filter(uid="04A1B2C3").update(state=CardState.LOST)
    lost = await pay(client, terminal, "TX2", card_uid="04A1B2C3")
    assert lost.status_code == 402 and lost.json()["error"]["code"] == "canteen.card_lost"
    await Card.filter(uid="04A1B2C3").update(state=CardState.CANCELLED)
    cancelled = await pay(client, terminal, "TX3", card_uid="04A1B2C3")
    assert cancelled.json()["error"]["code"] == "canteen.card_cancelled"
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000


async def test_payment_outside_any_meal_period_is_refused(client, canteen, runtime):
    from datetime import time

    from backend.canteen.models import DinerCategory
    from backend.canteen.service import canteens
    from backend.core.audit import CLI_ACTOR
    from backend.core.timeutil import BUSINESS_TZ, now

    hour = 3 if now().astimezone(BUSINESS_TZ).hour != 3 else 4  # a window that is not now
    await canteens.create_canteen(CLI_ACTOR, "NIGHT", "夜间食堂", scope=Scope.EVERYTHING)
    await canteens.set_period(
        CLI_ACTOR,
        "NIGHT",
        "dinner",
        "晚餐",
        time(hour, 0),
        time(hour, 30),
        1,
        {DinerCategory.STAFF: (1000, 0)},
        scope=Scope.EVERYTHING,
    )
    night = await make_terminal(runtime.cipher, "T-N", canteen="NIGHT")
    await cardholder("D0001", "04A1B2C3", cash=5000)
    response = await pay(client, night, "TX1", card_uid="04A1B2C3")
    assert response.json()["error"] == {"code": "canteen.outside_meal_period", "message": "现在不是就餐时间"}


async def test_free_amount_over_the_canteen_limit_is_refused(client, canteen, runtime):
    keypad = await make_terminal(runtime.cipher, "T-K", TerminalMode.FREE_AMOUNT)
    await cardholder("D0001", "04A1B2C3", cash=20000)
    over = await pay(client, keypad, "TX1", card_uid="04A1B2C3", amount_fen=5001)
    assert over.json()["error"] == {"code": "canteen.over_amount_limit", "message": "单笔金额超过上限 50.00 元"}
    ok = await pay(client, keypad, "TX2", card_uid="04A1B2C3", amount_fen=2350)
    assert ok.status_code == 200 and ok.json()["cash_fen"] == 2350


async def test_menu_terminal_is_priced_by_the_server(client, canteen, runtime):
    from backend.canteen.service import canteens
    from backend.core.audit import CLI_ACTOR

    menu = await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU)
    rice = await canteens.create_dish(CLI_ACTOR, "ST1", "米饭", 100, [], scope=Scope.EVERYTHING)
    pork = await canteens.create_dish(CLI_ACTOR, "ST1", "红烧肉", 1200, ["荤"], scope=Scope.EVERYTHING)
    await cardholder("D0001", "04A1B2C3", cash=5000)
    response = await pay(
        client,
        menu,
        "TX1",
        card_uid="04A1B2C3",
        amount_fen=1,
        items=[{"dish_id": rice["id"], "quantity": 2}, {"dish_id": pork["id"]}],
    )
    assert response.json()["amount_fen"] == 1400
    unknown = await pay(client, menu, "TX2", card_uid="04A1B2C3", items=[{"dish_id": 999999}])
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "canteen.dish_unknown"


async def test_a_menu_terminal_sells_only_todays_menu_once_one_is_set(client, canteen, runtime):
    from backend.canteen.service import canteens, menus
    from backend.core.audit import CLI_ACTOR
    from backend.core.timeutil import today

    menu = await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU)
    rice = await canteens.create_dish(CLI_ACTOR, "ST1", "米饭", 100, [], scope=Scope.EVERYTHING)
    fish = await canteens.create_dish(CLI_ACTOR, "ST1", "清蒸鲈鱼", 2800, [], scope=Scope.EVERYTHING)
    await menus.set_menu(CLI_ACTOR, "ST1", today(), "lunch", [rice["id"]], scope=Scope.EVERYTHING)
    await cardholder("D0001", "04A1B2C3", cash=5000)
    off_menu = await pay(client, menu, "TX1", card_uid="04A1B2C3", items=[{"dish_id": fish["id"]}])
    assert off_menu.status_code == 422 and off_menu.json()["error"]["code"] == "canteen.dish_unknown"
    on_menu = await pay(client, menu, "TX2", card_uid="04A1B2C3", items=[{"dish_id": rice["id"], "quantity": 2}])
    assert on_menu.status_code == 200 and on_menu.json()["amount_fen"] == 200


async def test_subsidy_is_used_once_per_meal(client, canteen, runtime):
    from datetime import time

    from backend.canteen.models import DinerCategory
    from backend.canteen.service import canteens
    from backend.core.audit import CLI_ACTOR

    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59, 59),
        2,
        {DinerCategory.STAFF: (LUNCH_PRICE, SUBSIDY_CAP)},
        scope=Scope.EVERYTHING,
    )
    terminal = await make_terminal(runtime.cipher, "T-2")
    await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=5000)
    first = (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).json()
    second = (await pay(client, terminal, "TX2", card_uid="04A1B2C3")).json()
    assert (first["subsidy_fen"], second["subsidy_fen"]) == (SUBSIDY_CAP, 0)
    assert second["cash_fen"] == LUNCH_PRICE


async def test_card_and_pay_code_together_or_neither_is_invalid(client, terminal):
    both = await pay(client, terminal, "TX1", card_uid="04A1B2C3", pay_code="661234567890123456")
    assert both.status_code == 422
    assert both.json()["error"]["details"]["fields"] == [{"field": "body", "message": "请刷卡或扫付款码（二选一）"}]
    neither = await pay(client, terminal, "TX2")
    assert neither.status_code == 422


async def test_device_that_is_not_a_terminal_is_refused(client, canteen, runtime):
    from backend.accounts.models import DeviceKind
    from backend.accounts.service import devices
    from backend.core.audit import CLI_ACTOR
    from tests.fixtures.canteen import Terminal

    _, secret = await devices.register_device(CLI_ACTOR, runtime.cipher, "G-1", "门禁", DeviceKind.GATE_CONTROLLER, "")
    response = await pay(client, Terminal("G-1", secret), "TX1", card_uid="04A1B2C3")
    assert response.status_code == 403 and response.json()["error"]["code"] == "canteen.not_a_terminal"
