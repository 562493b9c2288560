"""Scheduled jobs of the produce shop. Each has the effect of once however often it runs:
booking a payment and finishing a refund are conditional updates."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.runtime import make_wechatpay
from backend.shop.service import payments, refunds


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
