"""What the terminal knows of its canteen and may do offline: the backend's risk parameters.

`GET /device/v1/canteen/risk` gives the canteen's name, the terminal mode, the meal periods with
their prices, the offline per-payment limit, how many offline payments a card may make a day,
and the blacklist of lost and cancelled cards with its version. The idle screen shows the
current period and price from it, and `offline_refusal` decides a card payment while the
backend cannot be reached. Only a fixed-price terminal takes payments offline. The terminal
cannot know the diner's category, so it journals the period's staff price (职工价); the backend
charges the diner's own price when the journal is uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STAFF = "staff"
FIXED_PRICE = "fixed_price"

# What a diner reads when an offline payment cannot be taken.
NOT_READY = "网络中断，本机暂时无法收款，请稍后再试"
BLACKLISTED = "此卡已挂失或注销，不能消费"
OUTSIDE_MEAL_PERIOD = "现在不是就餐时间"
NO_PRICE = "本餐次未设置价格，请到食堂服务台处理"
OVER_LIMIT = "网络中断，本笔金额超过脱机消费限额，请稍后再试"
TOO_MANY = "网络中断，此卡今日脱机消费次数已满，请稍后再试"
NOT_FIXED_PRICE = "网络中断，本机只能联网收款，请稍后再试"


@dataclass(frozen=True)
class MealPeriod:
    code: str
    name: str
    starts_minute: int
    ends_minute: int
    staff_price_fen: int | None

    def contains(self, moment: datetime) -> bool:
        return self.starts_minute <= moment.hour * 60 + moment.minute < self.ends_minute


def _minute(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class RiskParameters:
    canteen_name: str
    mode: str
    offline_max_payment_fen: int
    offline_max_count_per_card: int
    blacklist_version: int
    blacklist: frozenset[str]
    periods: tuple[MealPeriod, ...]

    @classmethod
    def from_backend(cls, body: dict) -> RiskParameters:
        """From the body of GET /device/v1/canteen/risk (KeyError or ValueError if it is not one)."""
        return cls(
            canteen_name=body["canteen"]["name"],
            mode=body.get("mode", FIXED_PRICE),
            offline_max_payment_fen=int(body["offline_max_payment_fen"]),
            offline_max_count_per_card=int(body["offline_max_count_per_card"]),
            blacklist_version=int(body["blacklist_version"]),
            blacklist=frozenset(body["blacklist"]),
            periods=tuple(
                MealPeriod(p["code"], p["name"], _minute(p["starts_at"]), _minute(p["ends_at"]), p["prices"].get(STAFF))
                for p in body["periods"]
            ),
        )

    def period_at(self, moment: datetime) -> MealPeriod | None:
        """The meal period at `moment`, a time in the canteen's zone."""
        return next((p for p in self.periods if p.contains(moment)), None)


def offline_refusal(risk: RiskParameters | None, card_uid: str, moment: datetime, taken_today: int) -> str | None:
    """Why a card payment cannot be taken offline at `moment` (words for the diner), or None.

    `taken_today` is how many offline payments this card has made at this terminal today."""
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
    if not period.staff_price_fen:  # none set, or free: nothing an offline journal can hold
        return NO_PRICE
    if period.staff_price_fen > risk.offline_max_payment_fen:
        return OVER_LIMIT
    if taken_today >= risk.offline_max_count_per_card:
        return TOO_MANY
    return None
