"""Stand-in (helper G) for V's personal-data helpers, with the design's signatures; V's file wins."""

from __future__ import annotations

import re

from stdnum.cn import ric
from stdnum.exceptions import ValidationError
from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import Visit
from backend.core.audit import Actor, record
from backend.core.crypto import FieldCipher
from backend.core.errors import AppError
from backend.fleet.service.plates import normalise_plate

PHONE = "access.phone"
ID_NUMBER = "access.id_number"
PLATE = "access.plate"


def check_name(raw: str) -> str:
    name = (raw or "").strip()
    if not 2 <= len(name) <= 30:
        raise AccessError.NAME_INVALID.error()
    return name


def check_phone(raw: str) -> str:
    phone = (raw or "").strip()
    if not re.fullmatch(r"1[3-9]\d{9}", phone):
        raise AccessError.PHONE_INVALID.error()
    return phone


def check_id_number(raw: str) -> str:
    number = (raw or "").strip().upper()
    try:
        if len(number) != 18:
            raise ValidationError()
        return ric.validate(number)
    except ValidationError:
        raise AccessError.ID_NUMBER_INVALID.error() from None


def check_plate(raw: str) -> str:
    try:
        return normalise_plate(raw)
    except AppError:
        raise AccessError.PLATE_INVALID.error(plate=(raw or "").strip()[:20]) from None


def mask_name(name: str) -> str:
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


def mask_plate(plate: str) -> str:
    return plate[:2] + "***" + plate[-2:] if len(plate) > 4 else plate


def seal(cipher: FieldCipher, value: str, context: str) -> tuple[str, str]:
    return cipher.encrypt(value, context=context), cipher.blind_index(value, context=context)


def index_of(cipher: FieldCipher, value: str, context: str) -> str:
    return cipher.blind_index(value, context=context)


async def unmask(actor: Actor, cipher: FieldCipher, visit_id: int) -> dict:
    visit = await Visit.get_or_none(id=visit_id)
    if visit is None:
        raise AccessError.VISIT_NOT_FOUND.error()

    def clear(value: str | None, context: str) -> str:
        return cipher.decrypt(value, context=context) if value else ""

    shown = {
        "phone": clear(visit.phone_encrypted, PHONE),
        "id_number": clear(visit.id_number_encrypted, ID_NUMBER),
        "plate": clear(visit.plate_encrypted, PLATE),
    }
    async with in_transaction() as conn:
        await record(conn, actor, "access.unmask_visitor", "visit", visit_id, after={"fields": sorted(shown)})
    return shown
