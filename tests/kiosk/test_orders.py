"""What the agent takes from its screen before a tap: an amount keyed in yuan, or dishes of the
current menu. The page checks as staff type; these checks are the ones that hold."""

import pytest

from kiosk import orders
from kiosk.orders import Menu, OrderRefused, amount_order, menu_order, parse_yuan

MENU = Menu.from_backend(
    {
        "period": {"code": "lunch", "name": "午餐"},
        "published": True,
        "dishes": [
            {"id": 1, "name": "米饭", "price_fen": 100, "available": True},
            {"id": 2, "name": "红烧肉", "price_fen": 1200, "available": True},
            {"id": 3, "name": "清蒸鲈鱼", "price_fen": 2600, "available": False},
            {"id": 4, "name": "免费汤", "price_fen": 0, "available": True},
        ],
    }
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("0", 0),
        ("12", 1200),
        ("12.5", 1250),
        ("12.05", 1205),
        ("0.01", 1),
        ("0.5", 50),
        ("9999999.99", 999999999),
    ],
)
def test_an_amount_in_yuan_becomes_fen_without_floats(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    "text",
    [
        "12.345",
        "1.2.3",
        ".5",
        "12.",
        "012",
        "-1",
        "+1",
        "1e3",
        " 12",
        "12 ",
        "１２",
        "1,000",
        "NaN",
        "Infinity",
        "0x10",
        "12345678",
    ],
)
def test_anything_but_digits_one_point_and_two_decimals_is_refused(text):
    with pytest.raises(OrderRefused) as refused:
        parse_yuan(text)
    assert refused.value.message == orders.AMOUNT_UNREADABLE


@pytest.mark.parametrize(
    "message", [{}, {"yuan": ""}, {"yuan": None}, {"yuan": 12}, {"yuan": ["12"]}, {"yuan": "0"}, {"yuan": "0.00"}]
)
def test_no_amount_is_asked_for(message):
    with pytest.raises(OrderRefused) as refused:
        amount_order({"type": "amount", **message}, 5000)
    assert refused.value.message in (orders.AMOUNT_MISSING, orders.AMOUNT_UNREADABLE)


def test_an_amount_over_the_terminals_limit_is_refused_at_the_limit_not_beyond():
    assert amount_order({"yuan": "50"}, 5000).amount_fen == 5000
    with pytest.raises(OrderRefused) as refused:
        amount_order({"yuan": "50.01"}, 5000)
    assert refused.value.message == "金额超过单笔上限 50.00 元"
    with pytest.raises(OrderRefused):  # the backend's own ceiling whatever the canteen says
        amount_order({"yuan": "10000.01"}, 10**9)


def test_an_amount_order_is_what_the_next_tap_pays_and_expires():
    order = amount_order({"yuan": "23.5"}, 5000)
    assert (order.amount_fen, order.total_fen, order.items) == (2350, 2350, ())
    view = order.view()
    assert view["total_fen"] == 2350 and view["seconds"] == orders.ORDER_SECONDS and not order.expired()
    assert amount_order({"yuan": "1"}, 5000).number != order.number


def test_a_menu_order_sums_the_dishes_on_sale():
    order = menu_order({"items": [{"dish_id": 2, "quantity": 1}, {"dish_id": 1, "quantity": 2}]}, MENU, 5000)
    assert (order.items, order.total_fen, order.amount_fen) == (((2, 1), (1, 2)), 1400, None)
    assert [line["name"] for line in order.view()["lines"]] == ["红烧肉", "米饭"]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (None, orders.NOTHING_CHOSEN),
        ([], orders.NOTHING_CHOSEN),
        ("1,2", orders.NOTHING_CHOSEN),
        ([{"dish_id": 99, "quantity": 1}], orders.DISH_GONE),  # not on the menu
        ([{"dish_id": 3, "quantity": 1}], orders.DISH_GONE),  # sold out
        ([{"dish_id": "1", "quantity": 1}], orders.DISH_GONE),
        ([{"dish_id": True, "quantity": 1}], orders.DISH_GONE),
        ([{"dish_id": 1, "quantity": 1}, {"dish_id": 1, "quantity": 1}], orders.DISH_GONE),
        ([1], orders.DISH_GONE),
        ([{"dish_id": 1, "quantity": 0}], "每道菜数量为 1 至 20 份"),
        ([{"dish_id": 1, "quantity": 21}], "每道菜数量为 1 至 20 份"),
        ([{"dish_id": 1, "quantity": 1.5}], "每道菜数量为 1 至 20 份"),
        ([{"dish_id": 1, "quantity": True}], "每道菜数量为 1 至 20 份"),
        ([{"dish_id": 1}], "每道菜数量为 1 至 20 份"),
        ([{"dish_id": 4, "quantity": 1}], orders.NOTHING_TO_PAY),
        ([{"dish_id": 1, "quantity": 1}] * 31, "一次最多选择 30 道菜"),
    ],
)
def test_a_menu_order_the_backend_would_refuse_is_refused_here(items, message):
    with pytest.raises(OrderRefused) as refused:
        menu_order({"items": items}, MENU, 5000)
    assert refused.value.message == message


def test_a_menu_order_over_the_limit_or_without_a_menu_is_refused():
    with pytest.raises(OrderRefused) as refused:
        menu_order({"items": [{"dish_id": 2, "quantity": 5}]}, MENU, 5000)
    assert refused.value.message == "金额超过单笔上限 50.00 元"
    with pytest.raises(OrderRefused):
        menu_order({"items": [{"dish_id": 2, "quantity": 1}]}, None, 5000)
