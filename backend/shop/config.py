"""Settings of the produce shop, read from the environment (the README lists them)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from backend.core.config import int_setting


class UnpickedAction(StrEnum):
    """What happens to an order still not picked up `unpicked_days` after its pickup day."""

    KEEP = "keep"  # stays 待取货, listed for staff
    REFUND = "refund"  # refunded whole, goods go to the canteen


@dataclass(frozen=True)
class ShopSettings:
    # SHOP_PAY_MINUTES: minutes an unpaid order holds its stock before it is cancelled.
    pay_minutes: int = 15
    # SHOP_REMIND_AFTER_HOURS: hours after an order became ready before its cadre is reminded.
    remind_after_hours: int = 24
    # SHOP_UNPICKED_DAYS: days after the pickup day before the unpicked rule applies.
    unpicked_days: int = 3
    # SHOP_UNPICKED_ACTION: keep | refund (see UnpickedAction).
    unpicked_action: UnpickedAction = UnpickedAction.KEEP
    # WECHAT_SHOP_TEMPLATE_ID: WeChat's id of the shop order notice (ready for pickup, refunded;
    # "" = not sent).
    notice_template_id: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ShopSettings:
        pay = int_setting(env, "SHOP_PAY_MINUTES", 15)
        if not 1 <= pay <= 120:
            raise ValueError(f"SHOP_PAY_MINUTES must be between 1 and 120, got {pay}")
        remind = int_setting(env, "SHOP_REMIND_AFTER_HOURS", 24)
        if not 1 <= remind <= 24 * 14:
            raise ValueError(f"SHOP_REMIND_AFTER_HOURS must be between 1 and 336, got {remind}")
        days = int_setting(env, "SHOP_UNPICKED_DAYS", 3)
        if not 1 <= days <= 60:
            raise ValueError(f"SHOP_UNPICKED_DAYS must be between 1 and 60, got {days}")
        raw_action = env.get("SHOP_UNPICKED_ACTION", "keep").strip() or "keep"
        try:
            action = UnpickedAction(raw_action)
        except ValueError:
            raise ValueError(f"SHOP_UNPICKED_ACTION must be keep or refund, got {raw_action!r}") from None
        return cls(
            pay_minutes=pay,
            remind_after_hours=remind,
            unpicked_days=days,
            unpicked_action=action,
            notice_template_id=env.get("WECHAT_SHOP_TEMPLATE_ID", "").strip(),
        )
