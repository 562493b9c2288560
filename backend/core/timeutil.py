"""Business time: every timestamp is aware, and the business day is Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(BUSINESS_TZ)
