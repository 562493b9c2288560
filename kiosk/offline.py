"""What the terminal knows of its canteen and may do offline: the backend's risk parameters.

`GET /device/v1/canteen/risk` gives the canteen's name, the terminal mode, its per-payment
limit, the meal periods with their price per diner category and swipes per card, the offline
per-payment limit, how many offline payments a card may make a day, the blacklist of lost and
cancelled cards with its version, and the cards whose holder is not priced as staff, by diner
category, with their own version. The idle screen shows the current period and staff price
from it, and `offline_refusal` and `offline_price` decide a card payment while the backend
cannot be reached.

Only a fixed-price terminal takes payments offline: a free amount or a choice of dishes would
rest on the terminal's word alone. Offline the terminal charges the card's own price (a card it
has no category for is priced as staff, as most are) and shows and prints exactly that, which
is what the backend charges on upload; a card whose category has no price at the period is
refused. The limits are counted in this terminal's own journal, per card: payments a business
day and swipes a meal period, as the backend counts them on upload (kiosk.journal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

STAFF = "staff"
FIXED_PRICE = "fixed_price"
FREE_AMOUNT = "free_amount"
MENU = "menu"
# The backend's ceiling on any amount (backend.canteen.schemas.MAX_AMOUNT_FEN).
MAX_AMOUNT_FEN = 1_000_000
CATEGORY_NAMES = {"staff": "职工", "contractor": "外包人员", "visitor": "访客"}

# What a diner reads when an offline payment cannot be taken.
NOT_READY = "网络中断，本机暂时无法收款，请稍后再试"
BLACKLISTED = "此卡已挂失或注销，不能消费"
OUTSIDE_MEAL_PERIOD = "现在不是就餐时间"
NO_PRICE = "本餐次未设置价格，请到食堂服务台处理"
NO_PRICE_FOR = "网络中断，本餐次未设置{category}价格，请到食堂服务台处理"
OVER_LIMIT = "网络中断，本笔金额超过脱机消费限额，请稍后再试"
TOO_MANY = "网络中断，此卡今日脱机消费次数已满，请稍后再试"
MEAL_LIMIT = "本餐已消费，每餐限 {limit} 次"
NOT_FIXED_PRICE = "网络中断，本机只能联网收款，请稍后再试"


@dataclass(frozen=True)
class MealPeriod:
    code: str
    name: str
    starts_minute: int
    ends_minute: int
    prices: Mapping[str, int] = field(default_factory=dict)  # diner category -> price in fen
    max_swipes: int = 1

    @property
    def staff_price_fen(self) -> int | None:
        return self.prices.get(STAFF)

    def contains(self, moment: datetime) -> bool:
        return self.starts_minute <= moment.hour * 60 + moment.minute < self.ends_minute


def _minute(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _card_categories(lists: Mapping[str, list[str]]) -> dict[str, str]:
    return {uid: category for category, uids in lists.items() for uid in uids}


@dataclass(frozen=True)
class RiskParameters:
    canteen_name: str
    mode: str
    offline_max_payment_fen: int
    offline_max_count_per_card: int
    blacklist_version: int
    blacklist: frozenset[str]
    periods: tuple[MealPeriod, ...]
    max_payment_fen: int = MAX_AMOUNT_FEN
    card_categories: Mapping[str, str] = field(default_factory=dict)  # card UID -> diner category, not staff
    card_categories_version: str = ""

    @classmethod
    def from_backend(cls, body: dict) -> RiskParameters:
        """From the body of GET /device/v1/canteen/risk, with `card_categories` present (KeyError,
        ValueError or TypeError if it is not one). Parameters remembered by an earlier version
        of the agent lack the newer fields: those take the cautious defaults."""
        return cls(
            canteen_name=body["canteen"]["name"],
            mode=body.get("mode", FIXED_PRICE),
            offline_max_payment_fen=int(body["offline_max_payment_fen"]),
            offline_max_count_per_card=int(body["offline_max_count_per_card"]),
            blacklist_version=int(body["blacklist_version"]),
            blacklist=frozenset(body["blacklist"]),
            periods=tuple(
                MealPeriod(
                    p["code"],
                    p["name"],
                    _minute(p["starts_at"]),
                    _minute(p["ends_at"]),
                    {str(c): int(price) for c, price in p["prices"].items()},
                    int(p.get("max_swipes", 1)),
                )
                for p in body["periods"]
            ),
            max_payment_fen=min(int(body.get("max_payment_fen", MAX_AMOUNT_FEN)), MAX_AMOUNT_FEN),
            card_categories=_card_categories(body.get("card_categories") or {}),
            card_categories_version=str(body.get("card_categories_version", "")),
        )

    def period_at(self, moment: datetime) -> MealPeriod | None:
        """The meal period at `moment`, a time in the canteen's zone."""
        return next((p for p in self.periods if p.contains(moment)), None)

    def category_of(self, card_uid: str) -> str:
        """The card holder's diner category as last heard; staff for a card not listed."""
        return self.card_categories.get(card_uid, STAFF)


def offline_price(risk: RiskParameters, card_uid: str, moment: datetime) -> int | None:
    """What this card pays offline at `moment`: its category's price at the period, if any."""
    period = risk.period_at(moment)
    return period.prices.get(risk.category_of(card_uid)) if period else None


def offline_refusal(
    risk: RiskParameters | None, card_uid: str, moment: datetime, taken_today: int, taken_this_meal: int = 0
) -> str | None:
    """Why a card payment cannot be taken offline at `moment` (words for the diner), or None.

    `taken_today` is how many offline payments this card has made at this terminal today, and
    `taken_this_meal` how many of those were in the meal period under way at `moment`."""
    if risk is None:
        return NOT_READY
    if risk.mode != FIXED_PRICE:
        # A free-amount or menu terminal's amount would be the terminal's word alone.
        return NOT_FIXED_PRICE
    if card_uid in risk.blacklist:
        return BLACKLISTED
    period = risk.period_at(moment)
    if period is None:
        return OUTSIDE_MEAL_PERIOD
    price = offline_price(risk, card_uid, moment)
    if not price:  # none set, or free: nothing an offline journal can hold
        category = risk.category_of(card_uid)
        return NO_PRICE if category == STAFF else NO_PRICE_FOR.format(category=CATEGORY_NAMES.get(category, "您的"))
    if price > risk.offline_max_payment_fen:
        return OVER_LIMIT
    if taken_today >= risk.offline_max_count_per_card:
        return TOO_MANY
    if taken_this_meal >= period.max_swipes:
        return MEAL_LIMIT.format(limit=period.max_swipes)
    return None
