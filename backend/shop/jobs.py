"""Scheduled jobs of the produce shop. Each has the effect of once however often it runs:
booking a payment, finishing a refund, reminding and handing over are conditional updates
(cadres' notices are sent by the notices module's job)."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.modules import settings_of
from backend.runtime import make_wechatpay
from backend.shop.service import orders, payments, pickup, refunds


@broker.task(task_name="shop.expire_unpaid", schedule=[{"cron": "* * * * *"}])
async def expire_unpaid() -> int:
    """Every minute: orders still unpaid past their time (SHOP_PAY_MINUTES) are cancelled and
    their stock released, each once, even when a payment arrives at the same moment."""
    return await orders.expire_unpaid(now())


@broker.task(task_name="shop.query_pending_payments", schedule=[{"cron": "*/5 * * * *"}])
async def query_pending_payments() -> dict:
    """Every five minutes: orders sent to WeChat Pay whose payment notification never came are
    asked about (a payment found for an order cancelled meanwhile is booked and refunded)."""
    settings: Settings = broker.state.settings
    return await payments.query_pending(make_wechatpay(settings), now())


@broker.task(task_name="shop.query_processing_refunds", schedule=[{"cron": "*/5 * * * *"}])
async def query_processing_refunds() -> dict:
    """Every five minutes: WeChat Pay refunds still in progress are asked about, and those
    WeChat Pay never received are asked for."""
    settings: Settings = broker.state.settings
    return await refunds.query_processing(make_wechatpay(settings), now())


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
