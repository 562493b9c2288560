"""The entry screening of visitors the bureau may switch on, such as 三问一测两登记: questions
each with the answer that lets a visitor in, one measurement with the highest value allowed, and
registrations to fill in. Off until configured; what a visitor answered is kept on the visit."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Screening
from backend.core import audit
from backend.core.audit import Actor

ANSWERS = ("是", "否")
MAX_QUESTIONS, MAX_REGISTRATIONS = 10, 10
TEXT_MAX, LABEL_MAX, REGISTRATION_MAX = 100, 20, 100


def _view(row: Screening | None) -> dict:
    if row is None:
        return {"enabled": False, "questions": [], "measurement": None, "registrations": []}
    return {
        "enabled": row.enabled,
        "questions": list(row.questions),
        "measurement": row.measurement,
        "registrations": list(row.registrations),
    }


async def current() -> dict:
    return _view(await Screening.all().order_by("id").first())


def _text(value: object, what: str, most: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise AccessError.SCREENING_INVALID.error(problem=f"{what}不能为空")
    if len(text) > most:
        raise AccessError.SCREENING_INVALID.error(problem=f"{what}不能超过 {most} 个字")
    return text


def _number(value: object) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _validated(config: dict) -> dict:
    questions = []
    for number, question in enumerate(config.get("questions") or [], start=1):
        if not isinstance(question, dict):
            raise AccessError.SCREENING_INVALID.error(problem=f"第 {number} 个问题格式有误")
        answer = question.get("allowed_answer")
        if answer not in ANSWERS:
            raise AccessError.SCREENING_INVALID.error(problem=f"第 {number} 个问题的放行答案应为“是”或“否”")
        questions.append(
            {"text": _text(question.get("text"), f"第 {number} 个问题", TEXT_MAX), "allowed_answer": answer}
        )
    if len(questions) > MAX_QUESTIONS:
        raise AccessError.SCREENING_INVALID.error(problem=f"问题最多 {MAX_QUESTIONS} 个")
    measurement = config.get("measurement")
    if measurement:
        highest = _number(measurement.get("max"))
        if highest is None:
            raise AccessError.SCREENING_INVALID.error(problem="测量值的上限应为数字")
        measurement = {
            "name": _text(measurement.get("name"), "测量项目", LABEL_MAX),
            "unit": " ".join(str(measurement.get("unit") or "").split())[:LABEL_MAX],
            "max": str(highest),
        }
    registrations = [_text(name, "登记项目", LABEL_MAX) for name in config.get("registrations") or []]
    if len(registrations) > MAX_REGISTRATIONS or len(set(registrations)) != len(registrations):
        raise AccessError.SCREENING_INVALID.error(problem=f"登记项目最多 {MAX_REGISTRATIONS} 个，且不能重名")
    enabled = bool(config.get("enabled"))
    if enabled and not (questions or measurement or registrations):
        raise AccessError.SCREENING_INVALID.error(problem="开启筛查时至少要有一个问题、测量或登记项目")
    return {
        "enabled": enabled,
        "questions": questions,
        "measurement": measurement or None,
        "registrations": registrations,
    }


async def save(actor: Actor, config: dict) -> dict:
    """Replace the screening with `config` (validated whole), audited as access.set_screening."""
    wanted = _validated(config)
    async with in_transaction() as conn:
        row = await Screening.all().using_db(conn).order_by("id").select_for_update().first()
        before = _view(row) if row is not None else None
        if row is None:
            row = await Screening.create(**wanted, using_db=conn)
        else:
            await Screening.filter(id=row.id).using_db(conn).update(**wanted)
        await audit.record(conn, actor, "access.set_screening", "screening", row.id, before, wanted)
    return wanted


def check_answers(config: dict, answers: dict | None) -> dict | None:
    """The record of the visitor's screening to keep on the visit, or None while screening is
    off. A missing or malformed answer is ANSWERS_INVALID; an answer that does not let the visitor
    in, or a measured value over the limit, is SCREENING_FAILED naming which."""
    if not config.get("enabled"):
        return None
    answers = answers or {}
    given = list(answers.get("questions") or [])
    questions = config.get("questions") or []
    if len(given) != len(questions) or any(answer not in ANSWERS for answer in given):
        raise AccessError.ANSWERS_INVALID.error(problem=f"请逐一回答 {len(questions)} 个问题（是/否）")
    record: dict = {"questions": [], "measurement": None, "registrations": {}}
    for question, answer in zip(questions, given, strict=True):
        if answer != question["allowed_answer"]:
            raise AccessError.SCREENING_FAILED.error(problem=f"“{question['text']}”回答为“{answer}”")
        record["questions"].append({"text": question["text"], "answer": answer})
    measurement = config.get("measurement")
    if measurement:
        value = _number(answers.get("measurement"))
        if value is None:
            raise AccessError.ANSWERS_INVALID.error(problem=f"请填写{measurement['name']}（数字）")
        if value > Decimal(measurement["max"]):
            name, unit, highest = measurement["name"], measurement["unit"], measurement["max"]
            raise AccessError.SCREENING_FAILED.error(problem=f"{name} {value}{unit} 超过 {highest}{unit}")
        record["measurement"] = {"name": measurement["name"], "unit": measurement["unit"], "value": str(value)}
    filled = answers.get("registrations") or {}
    for name in config.get("registrations") or []:
        text = " ".join(str(filled.get(name) or "").split())
        if not text or len(text) > REGISTRATION_MAX:
            raise AccessError.ANSWERS_INVALID.error(problem=f"请填写“{name}”（不超过 {REGISTRATION_MAX} 个字）")
        record["registrations"][name] = text
    return record
