"""Scheduled jobs of the produce shop. Each has the effect of once however often it runs.

H4 pickup and kiosk: reminders for orders left unpicked, and the rule for orders never
collected (cadres' notices are sent by the notices module's job)."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.modules import settings_of
from backend.runtime import make_wechatpay
from backend.shop.service import pickup


@broker.task(task_name="shop.remind_unpicked", schedule=[{"cron": "5 * * * *"}])
async def remind_unpicked() -> int:
    """Hourly: one reminder to each cadre whose order has waited SHOP_REMIND_AFTER_HOURS."""
    settings: Settings = broker.state.settings
    return await pickup.remind_unpicked(now(), settings_of(settings, "shop"))


@broker.task(task_name="shop.apply_unpicked_rule", schedule=[{"cron": "30 2 * * *", "cron_offset": "Asia/Shanghai"}])
async def apply_unpicked_rule() -> dict:
    """Nightly: orders still not collected SHOP_UNPICKED_DAYS after their pickup day are kept
    and listed, or refunded whole (SHOP_UNPICKED_ACTION)."""
    settings: Settings = broker.state.settings
    return await pickup.apply_unpicked_rule(now(), settings_of(settings, "shop"), make_wechatpay(settings))
