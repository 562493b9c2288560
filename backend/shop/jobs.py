"""Scheduled jobs of the produce shop. Each has the effect of once however often it runs."""

from __future__ import annotations

from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.shop.service import orders


@broker.task(task_name="shop.expire_unpaid", schedule=[{"cron": "* * * * *"}])
async def expire_unpaid() -> int:
    """Every minute: orders still unpaid past their time (SHOP_PAY_MINUTES) are cancelled and
    their stock released, each once, even when a payment arrives at the same moment."""
    return await orders.expire_unpaid(now())
