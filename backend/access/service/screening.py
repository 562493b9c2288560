"""Stand-in (helper A) for V's screening: current and save with the documented shapes."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Screening
from backend.core.audit import Actor, record


def _view(row: Screening | None) -> dict:
    if row is None:
        return {"enabled": False, "questions": [], "measurement": None, "registrations": []}
    return {
        "enabled": row.enabled,
        "questions": row.questions,
        "measurement": row.measurement,
        "registrations": row.registrations,
    }


async def current() -> dict:
    return _view(await Screening.first())


async def save(actor: Actor, config: dict) -> dict:
    for q in config.get("questions", []):
        if not q.get("text") or q.get("allowed_answer") not in ("是", "否"):
            raise AccessError.SCREENING_INVALID.error(problem="每个问题须有文字和放行的回答")
    async with in_transaction() as conn:
        row = await Screening.first().using_db(conn)
        row = row or Screening()
        row.enabled = bool(config.get("enabled"))
        row.questions = config.get("questions", [])
        row.measurement = config.get("measurement")
        row.registrations = config.get("registrations", [])
        await row.save(using_db=conn)
        await record(conn, actor, "access.set_screening", "screening", row.id)
    return _view(row)
