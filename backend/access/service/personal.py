"""Visitors' personal data: checking a name, a mainland mobile phone, an ID number (its check
digit, with python-stdnum) and a plate as they are typed; masking each for display; sealing a
value (encrypted, with a blind index for look-ups, each in its own context) and the one audited
way back to the full values for staff allowed to see them."""

from __future__ import annotations

import re

from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Visit
from backend.core import audit
from backend.core.audit import Actor
from backend.core.crypto import FieldCipher, mask_id_card, mask_phone
from backend.core.errors import AppError
from backend.fleet.service.plates import normalise_plate

PHONE = "access.phone"
ID_NUMBER = "access.id_number"
PLATE = "access.plate"

_PHONE = re.compile(r"1[3-9]\d{9}")
# Chinese names with the middle dot of minority names (阿卜杜·热合曼), or Latin letters and spaces
# for foreign visitors.
_NAME = re.compile(r"[\u4e00-\u9fff·•A-Za-z][\u4e00-\u9fff·• A-Za-z.\-]*")
NAME_MIN, NAME_MAX = 2, 30


def check_name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not (NAME_MIN <= len(name) <= NAME_MAX and _NAME.fullmatch(name)):
        raise AccessError.NAME_INVALID.error()
    return name


def check_phone(raw: str | None) -> str:
    phone = re.sub(r"[\s-]", "", raw or "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not _PHONE.fullmatch(phone):
        raise AccessError.PHONE_INVALID.error()
    return phone


def check_id_number(raw: str | None) -> str:
    """The 18-character resident ID number with an uppercase X; the birth date and check digit
    must hold (stdnum.cn.ric). The error never repeats what was typed."""
    number = re.sub(r"\s", "", raw or "").upper()
    if len(number) != 18:
        raise AccessError.ID_NUMBER_INVALID.error()
    try:
        return ric.validate(number)
    except ValidationError:
        raise AccessError.ID_NUMBER_INVALID.error() from None


def check_plate(raw: str | None) -> str:
    try:
        return normalise_plate(raw or "")
    except AppError:
        # Only the masked plate goes back: the message is an error body, which may be logged.
        typed = re.sub(r"\s", "", raw or "")[:10]
        raise AccessError.PLATE_INVALID.error(plate=mask_plate(typed)) from None


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳明华 → 欧阳**: a name of four characters or more keeps two, as most of them
    start with a compound surname; shorter ones keep the first."""
    name = (name or "").strip()
    if not name:
        return ""
    kept = 2 if len(name) >= 4 else 1
    return name[:kept] + "*" * max(len(name) - kept, 1)


def mask_plate(plate: str) -> str:
    """浙A12345 → 浙A***45: the province and issuing office, the last two characters."""
    if not plate:
        return ""
    if len(plate) <= 4:
        return plate[0] + "*" * (len(plate) - 1)
    return plate[:2] + "*" * (len(plate) - 4) + plate[-2:]


def index_of(cipher: FieldCipher, value: str, context: str) -> str:
    return cipher.blind_index(value, context=context)


def seal(cipher: FieldCipher, value: str, context: str) -> tuple[str, str]:
    """The value encrypted and its blind index, both bound to `context`."""
    return cipher.encrypt(value, context=context), index_of(cipher, value, context)


def masked_phone(cipher: FieldCipher, encrypted: str | None) -> str:
    return (mask_phone(cipher.decrypt(encrypted, context=PHONE)) or "") if encrypted else ""


def masked_id_number(cipher: FieldCipher, encrypted: str | None) -> str:
    return (mask_id_card(cipher.decrypt(encrypted, context=ID_NUMBER)) or "") if encrypted else ""


async def unmask(actor: Actor, cipher: FieldCipher, visit_id: int) -> dict:
    """The visitor's full phone, ID number and plate, recorded in the audit log as
    access.unmask_visitor (which fields were shown, never the values). The caller checks
    UNMASK_VISITOR."""
    async with in_transaction() as conn:
        visit = await Visit.get_or_none(id=visit_id).using_db(conn)
        if visit is None:
            raise AccessError.VISIT_NOT_FOUND.error()
        shown = {
            "phone": visit.phone_encrypted and cipher.decrypt(visit.phone_encrypted, context=PHONE),
            "id_number": visit.id_number_encrypted and cipher.decrypt(visit.id_number_encrypted, context=ID_NUMBER),
            "plate": visit.plate_encrypted and cipher.decrypt(visit.plate_encrypted, context=PLATE),
        }
        fields = sorted(name for name, value in shown.items() if value)
        await audit.record(
            conn, actor, "access.unmask_visitor", "visit", visit.id, None, {"code": visit.code, "fields": fields}
        )
    return {name: value or "" for name, value in shown.items()}
