"""What a free-amount or a menu terminal is asked to take before a tap: an order.

On a free-amount terminal staff key an amount in yuan on the screen's keypad; on a menu terminal
the dishes are chosen on the screen. Either way the page sends it over the WebSocket when 确认
is touched, and it is checked here, whatever the page already checked: the page is only a page.

    {"type": "amount", "yuan": "12.5"}                          digits, one point, at most two decimals
    {"type": "items", "items": [{"dish_id": 7, "quantity": 2}]}  dishes of the menu on sale now

An order that passes becomes the amount (or the dishes) of the next tap or scan; the backend
prices a menu order itself. `OrderRefused` carries what the screen tells staff instead.
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass

from hardware.receipt import Fen
from kiosk.offline import MAX_AMOUNT_FEN

# How long a confirmed order waits for a card or a code before it is dropped.
ORDER_SECONDS = 60.0
# The backend's limits on a menu payment (backend.canteen.schemas.PayItemIn, TerminalPayIn.items).
MAX_QUANTITY = 20
MAX_LINES = 30

YUAN = re.compile(r"^(0|[1-9][0-9]{0,6})(?:\.([0-9]{1,2}))?$")

AMOUNT_MISSING = "请输入金额"
AMOUNT_UNREADABLE = "金额格式不正确，最多两位小数"
AMOUNT_OVER = "金额超过单笔上限 {limit} 元"
NOTHING_CHOSEN = "请选择菜品"
DISH_GONE = "所选菜品已下架或不在本餐菜单上，请重新选择"
QUANTITY_WRONG = "每道菜数量为 1 至 {max} 份"
TOO_MANY_LINES = "一次最多选择 {max} 道菜"
NOTHING_TO_PAY = "所选菜品合计为 0 元，无需付款"


class OrderRefused(ValueError):
    """An order the terminal does not take; the message is for the screen."""

    @property
    def message(self) -> str:
        return str(self.args[0])


def parse_yuan(text: object) -> int:
    """An amount keyed in yuan, in fen, with integers only: "12" -> 1200, "0.5" -> 50."""
    if not isinstance(text, str) or not text:
        raise OrderRefused(AMOUNT_MISSING)
    match = YUAN.match(text)
    if match is None:
        raise OrderRefused(AMOUNT_UNREADABLE)
    whole, decimals = match.group(1), match.group(2) or ""
    return int(whole) * 100 + int(decimals.ljust(2, "0"))


@dataclass(frozen=True)
class Dish:
    id: int
    name: str
    price_fen: int
    available: bool

    def view(self) -> dict:
        return {"id": self.id, "name": self.name, "price_fen": self.price_fen, "available": self.available}


@dataclass(frozen=True)
class Menu:
    """What GET /device/v1/canteen/menu said the terminal offers now."""

    period_code: str | None
    period_name: str | None
    published: bool
    dishes: tuple[Dish, ...]

    @classmethod
    def from_backend(cls, body: dict) -> Menu:
        """(KeyError, TypeError or ValueError if the body is not a menu.)"""
        period = body.get("period")
        return cls(
            period_code=period["code"] if period else None,
            period_name=period["name"] if period else None,
            published=bool(body.get("published")),
            dishes=tuple(
                Dish(int(d["id"]), str(d["name"]), int(d["price_fen"]), bool(d["available"])) for d in body["dishes"]
            ),
        )

    def on_sale(self, dish_id: int) -> Dish | None:
        return next((d for d in self.dishes if d.id == dish_id and d.available), None)

    def view(self) -> dict:
        return {"period": self.period_name, "published": self.published, "dishes": [d.view() for d in self.dishes]}


_numbers = itertools.count(1)


@dataclass(frozen=True)
class Order:
    """The amount of the next tap: keyed (`amount_fen`) or the sum of dishes chosen (`items`,
    as (dish id, quantity), priced again by the backend)."""

    total_fen: int
    amount_fen: int | None = None
    items: tuple[tuple[int, int], ...] = ()
    lines: tuple[tuple[str, int, int], ...] = ()  # (dish name, quantity, price) for the screen
    number: int = 0
    expires_at: float = 0.0  # time.time(): the page counts down to it
    expires_monotonic: float = 0.0

    def expired(self) -> bool:
        return time.monotonic() >= self.expires_monotonic

    def view(self) -> dict:
        return {
            "number": self.number,
            "total_fen": self.total_fen,
            "expires_at_ms": int(self.expires_at * 1000),
            "seconds": ORDER_SECONDS,
            "lines": [{"name": name, "quantity": quantity, "price_fen": price} for name, quantity, price in self.lines],
        }


def _check_limit(total_fen: int, limit_fen: int) -> None:
    if total_fen > limit_fen:
        raise OrderRefused(AMOUNT_OVER.format(limit=Fen(limit_fen)))


def _new(total_fen: int, **fields) -> Order:
    return Order(
        total_fen=total_fen,
        number=next(_numbers),
        expires_at=time.time() + ORDER_SECONDS,
        expires_monotonic=time.monotonic() + ORDER_SECONDS,
        **fields,
    )


def amount_order(message: dict, limit_fen: int) -> Order:
    """An order from the keypad's {"type": "amount", "yuan": "..."}; OrderRefused otherwise."""
    amount = parse_yuan(message.get("yuan"))
    if amount < 1:
        raise OrderRefused(AMOUNT_MISSING)
    _check_limit(amount, min(limit_fen, MAX_AMOUNT_FEN))
    return _new(amount, amount_fen=amount)


def menu_order(message: dict, menu: Menu | None, limit_fen: int) -> Order:
    """An order from the menu's {"type": "items", "items": [...]}: each dish on sale on `menu`,
    once, in 1..MAX_QUANTITY; OrderRefused otherwise."""
    items = message.get("items")
    if not isinstance(items, list) or not items:
        raise OrderRefused(NOTHING_CHOSEN)
    if len(items) > MAX_LINES:
        raise OrderRefused(TOO_MANY_LINES.format(max=MAX_LINES))
    chosen: dict[int, tuple[Dish, int]] = {}  # dish id -> (the dish, quantity)
    for item in items:
        dish_id = item.get("dish_id") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        # type(...) is int: JSON's true is a bool, which is an int to isinstance.
        dish = menu.on_sale(dish_id) if menu is not None and type(dish_id) is int else None
        if dish is None or dish.id in chosen:
            raise OrderRefused(DISH_GONE)
        if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
            raise OrderRefused(QUANTITY_WRONG.format(max=MAX_QUANTITY))
        chosen[dish.id] = (dish, quantity)
    total = sum(dish.price_fen * quantity for dish, quantity in chosen.values())
    if total < 1:
        raise OrderRefused(NOTHING_TO_PAY)
    _check_limit(total, min(limit_fen, MAX_AMOUNT_FEN))
    return _new(
        total,
        items=tuple((dish_id, quantity) for dish_id, (_, quantity) in chosen.items()),
        lines=tuple((dish.name, quantity, dish.price_fen) for dish, quantity in chosen.values()),
    )
