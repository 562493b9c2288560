"""Stand-in (helper G) for V's entry screening, with the design's signatures; V's file wins."""

from __future__ import annotations

from backend.access.errors import AccessError
from backend.access.models import Screening


async def current() -> dict:
    row = await Screening.first()
    if row is None:
        return {"enabled": False, "questions": [], "measurement": None, "registrations": []}
    return {
        "enabled": row.enabled,
        "questions": row.questions,
        "measurement": row.measurement,
        "registrations": row.registrations,
    }


def check_answers(config: dict, answers: dict) -> dict | None:
    if not config["enabled"]:
        return None
    given = answers.get("questions") or []
    for i, question in enumerate(config["questions"]):
        if i >= len(given) or given[i] != question["allowed_answer"]:
            raise AccessError.SCREENING_FAILED.error(problem=question["text"])
    measured = None
    if config["measurement"]:
        try:
            measured = float(answers.get("measurement") or "")
        except ValueError:
            raise AccessError.SCREENING_FAILED.error(problem=config["measurement"]["name"]) from None
        if measured > float(config["measurement"]["max"]):
            raise AccessError.SCREENING_FAILED.error(problem=config["measurement"]["name"])
    registrations = answers.get("registrations") or {}
    for name in config["registrations"]:
        if not str(registrations.get(name, "")).strip():
            raise AccessError.SCREENING_FAILED.error(problem=name)
    return {"questions": list(given), "measurement": measured, "registrations": dict(registrations)}
