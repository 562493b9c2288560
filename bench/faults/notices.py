"""Scenario 2b: the job worker killed with kill -9 while it sends WeChat subscribe messages.

WeChat is the tests' stand-in of its HTTP API, answering each message only after a pause (it
has delivered it by then), so the kill lands in the middle of a run. Notices are delivered at
least once: WeChat takes no idempotency key, so a message it took just before the kill, whose
sending the worker never recorded, is sent again once its claim has run out. Only such a notice
may reach its cadre twice; every other one reaches its cadre exactly once, and none is lost.
"""

from __future__ import annotations

import time
from collections import Counter

import asyncpg
import httpx

from tests.fakes.wechat import APPID, SECRET, WeChatStandIn

NOTICES = 60
# Long enough for the kill to land mid-run, short enough for the run to matter little.
SEND_DELAY = 0.1
TEMPLATE_ID = "faults-repair-progress"
SEND_DUE = "notices.send_due"


def wechat_settings(stand_in: WeChatStandIn) -> dict[str, str]:
    """The product's settings for WeChat and its repair notice template, pointing at the stand-in."""
    return {
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": stand_in.base_url,
        "WECHAT_REPAIR_TEMPLATE_ID": TEMPLATE_ID,
    }


async def file_report(http: httpx.AsyncClient, token: str, photo: bytes, category: int, room: int) -> int:
    """A cadre's repair report (with a photo) through the API; its id."""
    auth = {"Authorization": f"Bearer {token}"}
    photo_file = {"file": ("photo.jpg", photo, "image/jpeg")}
    uploaded = await http.post("/mp/v1/repairs/photos", files=photo_file, headers=auth)
    uploaded.raise_for_status()
    report = {
        "client_ref": f"faults-notices-{time.time_ns()}",
        "category_id": category,
        "location_id": room,
        "description": "故障演练：发送通知时停掉任务进程",
        "photo_ids": [uploaded.json()["id"]],
    }
    created = await http.post("/mp/v1/repairs", json=report, headers=auth)
    created.raise_for_status()
    return int(created.json()["id"])


async def queue_notices(env: dict[str, str], person_ids: list[int], report_id: int) -> list[int]:
    """One notice of the report's first step to each person, due now, queued the way a module
    queues them; their ids."""
    from tortoise.transactions import in_transaction

    from backend.core.config import Settings
    from backend.core.timeutil import now
    from backend.notices import service
    from backend.notices.models import Notice
    from backend.repairs.models import RepairEvent
    from backend.runtime import close_runtime, open_runtime

    runtime = await open_runtime(Settings.from_env(env))
    try:
        step = await RepairEvent.filter(report_id=report_id).order_by("at", "id").first()
        if step is None:
            raise RuntimeError(f"repair report {report_id} has no timeline")
        subject_id = step.id
        async with in_transaction() as conn:
            for person_id in person_ids:
                await service.queue(conn, "repairs.progress", person_id, subject_id, now())
        return await Notice.filter(person_id__in=person_ids, subject_id=subject_id).values_list("id", flat=True)
    finally:
        await close_runtime(runtime)


async def notice_states(db_url: str, notice_ids: list[int]) -> dict[int, tuple[str, bool]]:
    """Each notice's state, and whether it is claimed by a run (pending, not due before its claim runs out)."""
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT id, state, state = 'pending' AND attempts > 0 AND next_attempt_at > now() AS claimed "
            "FROM notices_notice WHERE id = ANY($1::int[])",
            notice_ids,
        )
        return {r["id"]: (r["state"], r["claimed"]) for r in rows}
    finally:
        await conn.close()


def deliveries(stand_in: WeChatStandIn, openids: set[str]) -> Counter[str]:
    return Counter(m["touser"] for m in list(stand_in.state.messages) if m.get("touser") in openids)


async def person_ids_of(db_url: str, count: int) -> list[int]:
    conn = await asyncpg.connect(db_url)
    try:
        return [r["id"] for r in await conn.fetch("SELECT id FROM accounts_person ORDER BY id LIMIT $1", count)]
    finally:
        await conn.close()
