"""What the kiosk tests share: a lunchtime moment, the risk parameters a backend sends, and
waiting for the screen's next event of a kind."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

LUNCH = datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
RISK_BODY = {
    "canteen": {"code": "ST1", "name": "第一食堂"},
    "mode": "fixed_price",
    "offline_max_payment_fen": 3000,
    "offline_max_count_per_card": 2,
    "blacklist_version": 7,
    "blacklist": ["04DEAD00"],
    "max_payment_fen": 5000,
    "card_categories_version": "c0ffee",
    "card_categories": {"contractor": ["04C0C0C0"], "visitor": ["04B1B1B1"]},
    "periods": [
        {
            "code": "breakfast",
            "name": "早餐",
            "starts_at": "06:30",
            "ends_at": "09:00",
            "max_swipes": 1,
            "prices": {"staff": 500},
        },
        {
            "code": "lunch",
            "name": "午餐",
            "starts_at": "11:00",
            "ends_at": "13:30",
            "max_swipes": 2,
            "prices": {"staff": 1500, "contractor": 2000},
        },
        {"code": "dinner", "name": "晚餐", "starts_at": "17:00", "ends_at": "19:30", "prices": {"staff": 3500}},
        {"code": "night", "name": "夜宵", "starts_at": "21:00", "ends_at": "22:00", "prices": {"contractor": 800}},
    ],
}


async def next_event(socket, kind: str, timeout: float = 5.0) -> dict:
    while (event := await asyncio.wait_for(socket.receive_json(), timeout))["type"] != kind:
        pass
    return event
