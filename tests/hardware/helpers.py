"""What the hardware tests share: a sample receipt, and waiting for devices that change state."""

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from hardware.receipt import Fen, Receipt

RECEIPT = Receipt(
    title="市机关第一食堂",
    lines=[("午餐", Fen(1250)), ("余额", Fen(8605))],
    time=datetime(2026, 3, 2, 12, 5, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
    transaction_no="P20260302120509000123",
)


async def eventually(condition, seconds: float = 3.0) -> None:
    """Wait until `condition()` holds; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)
