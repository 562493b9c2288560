"""The entry screening: off until configured, validated whole when saved (audited), and a
visitor's answers checked against it."""

from __future__ import annotations

import pytest

from backend.access.service import screening
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry

PLAN = {
    "enabled": True,
    "questions": [
        {"text": "是否有发热、咳嗽等症状", "allowed_answer": "否"},
        {"text": "近 14 天是否到过中高风险地区", "allowed_answer": "否"},
        {"text": "是否已完成健康申报", "allowed_answer": "是"},
    ],
    "measurement": {"name": "体温", "unit": "℃", "max": "37.3"},
    "registrations": ["来源地", "联系方式"],
}
ANSWERS = {
    "questions": ["否", "否", "是"],
    "measurement": "36.5",
    "registrations": {"来源地": "杭州", "联系方式": "同上"},
}


async def test_screening_is_off_until_configured(access_world):
    current = await screening.current()
    assert current == {"enabled": False, "questions": [], "measurement": None, "registrations": []}
    assert screening.check_answers(current, None) is None


@pytest.mark.parametrize(
    "bad",
    [
        {**PLAN, "questions": [{"text": "是否发热", "allowed_answer": "也许"}]},
        {**PLAN, "questions": [{"text": "", "allowed_answer": "否"}]},
        {**PLAN, "measurement": {"name": "体温", "unit": "℃", "max": "高"}},
        {**PLAN, "registrations": ["来源地", "来源地"]},
        {"enabled": True, "questions": [], "measurement": None, "registrations": []},
    ],
)
async def test_a_bad_screening_is_refused_whole(access_world, bad):
    with pytest.raises(AppError) as refused:
        await screening.save(Actor(None, "保卫科"), bad)
    assert refused.value.code == "access.screening_invalid"
    assert (await screening.current())["enabled"] is False


async def test_a_saved_screening_is_audited_and_checks_answers(access_world):
    saved = await screening.save(Actor(None, "保卫科"), PLAN)
    assert await screening.current() == saved and saved["measurement"]["max"] == "37.3"
    assert await AuditEntry.filter(action="access.set_screening").count() == 1

    record = screening.check_answers(saved, ANSWERS)

    assert [q["answer"] for q in record["questions"]] == ["否", "否", "是"]
    for answers, code in (
        ({**ANSWERS, "questions": ["是", "否", "是"]}, "access.screening_failed"),
        ({**ANSWERS, "measurement": "37.4"}, "access.screening_failed"),
        ({**ANSWERS, "measurement": "abc"}, "access.answers_invalid"),
        ({**ANSWERS, "registrations": {"来源地": "杭州"}}, "access.answers_invalid"),
    ):
        with pytest.raises(AppError) as refused:
            screening.check_answers(saved, answers)
        assert refused.value.code == code
