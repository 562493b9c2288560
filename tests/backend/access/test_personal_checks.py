"""Visitors' details checked as typed (name, mainland mobile, ID number with its check digit,
plate), masked for display, and unmasked only through the audited function."""

from __future__ import annotations

import pytest

from backend.access.config import AccessSettings
from backend.access.models import Visit
from backend.access.service import personal
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.fixtures.access_v import VISITOR_PHONE, id_number, ready_visit


def _code(call, raw) -> str:
    with pytest.raises(AppError) as refused:
        call(raw)
    return refused.value.code


def test_an_id_number_with_a_wrong_check_digit_is_refused_and_a_good_one_kept_with_uppercase_x():
    good = id_number()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert _code(personal.check_id_number, wrong) == "access.id_number_invalid"
    assert _code(personal.check_id_number, good[:17]) == "access.id_number_invalid"
    assert _code(personal.check_id_number, "33010619901301" + good[14:]) == "access.id_number_invalid"
    assert personal.check_id_number(f" {good} ") == good
    assert personal.check_id_number("11010519491231002x") == "11010519491231002X"


def test_a_phone_must_be_a_mainland_mobile():
    for bad in ("12345678901", "1381234567", "23800000001", "1380000000a", ""):
        assert _code(personal.check_phone, bad) == "access.phone_invalid", bad
    assert personal.check_phone("+86 139-1234-5678") == VISITOR_PHONE


def test_a_bad_plate_is_refused_with_only_a_masked_plate_in_the_message():
    with pytest.raises(AppError) as refused:
        personal.check_plate("浙A12345678")
    assert refused.value.code == "access.plate_invalid"
    assert "12345678" not in refused.value.message
    assert personal.check_plate(" 浙a 12345 ") == "浙A12345"


def test_a_name_is_two_to_thirty_letters():
    for bad in ("李", "李" * 31, "李明1", "<b>李明</b>", ""):
        assert _code(personal.check_name, bad) == "access.name_invalid", bad
    assert personal.check_name(" 阿卜杜·热合曼 ") == "阿卜杜·热合曼"
    assert personal.check_name("John  Smith") == "John Smith"


def test_masks_keep_little_of_a_name_or_plate():
    assert personal.mask_name("张三") == "张*"
    assert personal.mask_name("李小明") == "李**"
    assert personal.mask_name("欧阳明华") == "欧阳**"
    assert personal.mask_plate("浙A12345") == "浙A***45"
    assert personal.mask_plate("浙AD12345") == "浙A****45"


def test_the_same_value_in_another_context_has_another_index(runtime):
    assert personal.index_of(runtime.cipher, VISITOR_PHONE, personal.PHONE) != personal.index_of(
        runtime.cipher, VISITOR_PHONE, personal.ID_NUMBER
    )
    encrypted, index = personal.seal(runtime.cipher, VISITOR_PHONE, personal.PHONE)
    assert VISITOR_PHONE not in encrypted and index == personal.index_of(runtime.cipher, VISITOR_PHONE, personal.PHONE)


async def test_unmasking_a_visitor_is_audited_without_the_values(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at, plate="浙A12345")
    stored = await Visit.get(id=visit["id"])
    assert VISITOR_PHONE not in str(stored.phone_encrypted) and stored.plate_masked == "浙A***45"

    shown = await personal.unmask(Actor(None, "保卫科"), runtime.cipher, visit["id"])

    assert shown == {"phone": VISITOR_PHONE, "id_number": id_number(), "plate": "浙A12345"}
    entry = await AuditEntry.get(action="access.unmask_visitor")
    assert (entry.object_id, entry.actor_name) == (str(visit["id"]), "保卫科")
    assert entry.after["fields"] == ["id_number", "phone", "plate"]
    assert VISITOR_PHONE not in str(entry.after) and id_number() not in str(entry.after)
    assert AccessSettings().retention_days == 180
