"""Business time: every timestamp is aware, and the business day is Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(BUSINESS_TZ)


def today() -> date:
    """The business day (Asia/Shanghai) it is now."""
    return now().astimezone(BUSINESS_TZ).date()
