"""What a terminal of each mode is told: the risk parameters a fixed-price terminal prices offline
by (the diner category of the cards not priced as staff, the swipes per meal, the limits) and
the menu a menu-mode terminal offers."""

from datetime import time
from urllib.parse import urlencode

from backend.canteen.models import DinerCategory, Dish, TerminalMode
from backend.canteen.service import canteens, menus
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import now, today
from backend.wallet.models import Card, CardState
from kiosk.backend_client import signature_headers
from tests.fixtures.canteen import LUNCH_PRICE, SUBSIDY_CAP, cardholder, make_terminal

RISK = "/device/v1/canteen/risk"
MENU = "/device/v1/canteen/menu"


async def signed_get(client, terminal, path: str, **query):
    text = urlencode(query)
    headers = signature_headers(terminal.code, terminal.secret, "GET", path, text, b"")
    return await client.get(f"{path}?{text}" if text else path, headers=headers)


async def test_risk_parameters_carry_the_categories_of_cards_not_priced_as_staff(client, terminal):
    await cardholder("D0001", "04A1B2C3")  # 在编: staff, the default, not listed
    await cardholder("D0003", "04A1B2C5")  # 聘用: staff too
    await cardholder("D0004", "04A1B2C9")  # 外包: contractor
    body = (await signed_get(client, terminal, RISK)).json()
    assert body["card_categories"] == {"contractor": ["04A1B2C9"]}
    assert body["max_payment_fen"] == 5000
    [lunch] = body["periods"]
    assert (lunch["max_swipes"], lunch["prices"]) == (1, {"staff": LUNCH_PRICE, "contractor": 2000})


async def test_card_categories_are_sent_only_when_the_terminal_holds_another_version(client, terminal):
    await cardholder("D0004", "04A1B2C9")
    first = (await signed_get(client, terminal, RISK)).json()
    version = first["card_categories_version"]
    same = (await signed_get(client, terminal, RISK, card_categories_version=version)).json()
    assert "card_categories" not in same and same["card_categories_version"] == version

    await Card.filter(uid="04A1B2C9").update(state=CardState.LOST)  # a lost card is on the blacklist instead
    changed = (await signed_get(client, terminal, RISK, card_categories_version=version)).json()
    assert changed["card_categories"] == {} and changed["card_categories_version"] != version
    assert changed["blacklist"] == ["04A1B2C9"]


async def test_the_menu_is_todays_for_the_meal_under_way_with_what_is_still_sold(client, terminal, runtime):
    menu_terminal = await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU)
    rice = await canteens.create_dish(CLI_ACTOR, "ST1", "米饭", 100, [], scope=Scope.EVERYTHING)
    pork = await canteens.create_dish(CLI_ACTOR, "ST1", "红烧肉", 1200, ["荤"], scope=Scope.EVERYTHING)
    await canteens.create_dish(CLI_ACTOR, "ST1", "不在今天菜单上", 800, [], scope=Scope.EVERYTHING)
    await menus.set_menu(CLI_ACTOR, "ST1", today(), "lunch", [pork["id"], rice["id"]], scope=Scope.EVERYTHING)
    await Dish.filter(id=rice["id"]).update(is_active=False)  # taken off sale after the menu was set
    body = (await signed_get(client, menu_terminal, MENU)).json()
    assert body["period"] == {"code": "lunch", "name": "午餐"} and body["published"] is True
    assert body["date"] == today().isoformat()
    assert body["dishes"] == [
        {"id": pork["id"], "name": "红烧肉", "price_fen": 1200, "available": True},
        {"id": rice["id"], "name": "米饭", "price_fen": 100, "available": False},
    ]


async def test_without_a_menu_for_the_meal_every_dish_on_sale_is_offered(client, canteen, runtime):
    menu_terminal = await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU)
    rice = await canteens.create_dish(CLI_ACTOR, "ST1", "米饭", 100, [], scope=Scope.EVERYTHING)
    body = (await signed_get(client, menu_terminal, MENU)).json()
    assert body["published"] is False
    assert body["dishes"] == [{"id": rice["id"], "name": "米饭", "price_fen": 100, "available": True}]


async def test_outside_the_meal_periods_the_menu_is_empty(client, canteen, runtime):
    starts = time(20, 0) if now().hour < 12 else time(8, 0)  # a lunch that is not now
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        starts,
        starts.replace(minute=30),
        1,
        {DinerCategory.STAFF: (LUNCH_PRICE, SUBSIDY_CAP)},
        scope=Scope.EVERYTHING,
    )
    menu_terminal = await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU)
    await canteens.create_dish(CLI_ACTOR, "ST1", "米饭", 100, [], scope=Scope.EVERYTHING)
    body = (await signed_get(client, menu_terminal, MENU)).json()
    assert (body["period"], body["dishes"]) == (None, [])


async def test_the_menu_needs_a_signed_terminal(client, terminal):
    unsigned = await client.get(MENU)
    assert unsigned.status_code == 401
    forged = await client.get(MENU, headers=signature_headers(terminal.code, "not-the-secret", "GET", MENU, "", b""))
    assert forged.status_code == 401
