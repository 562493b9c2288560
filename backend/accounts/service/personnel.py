"""One person's roster entry by hand (the people desk): added (新增人员), corrected, and moved to
another unit (调动), each checked as a roster row is and recorded in the audit log. The roster
import (`people.import_roster`) writes many at once; leaving (离职) is `leaving.leave_person`."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.accounts.errors import AccountsError
from backend.accounts.models import Person, StaffCategory, Unit
from backend.accounts.service.people import ID_CARD_CONTEXT, PHONE_CONTEXT, person_view
from backend.core.audit import Actor, record
from backend.core.crypto import FieldCipher
from backend.core.permissions import Scope

# What the person form edits, in the order the audit shows the changes.
_EDITED = ("employee_no", "name", "staff_category", "phone", "id_card")


async def _unit_taking_people(scope: Scope, unit_code: str, conn: Any) -> Unit:
    """The unit a person is put in: within `scope` and enabled, its row locked so that disabling
    it waits for the person to be counted."""
    unit = await Unit.filter(code=unit_code).using_db(conn).select_for_update().first()
    if unit is None:
        raise AccountsError.UNIT_NOT_FOUND.error()
    if not scope.reaches_unit(unit.path):
        raise AccountsError.UNIT_OUT_OF_SCOPE.error()
    if not unit.is_enabled:
        raise AccountsError.UNIT_DISABLED.error(name=unit.name)
    return unit


async def _personal_data_free(
    cipher: FieldCipher, scope: Scope, conn: Any, phone: str | None, id_card: str | None, person_id: int | None
) -> None:
    """A phone or ID-card number on the roster under somebody else is refused; whose it is, is
    told only when that person is within the caller's scope (as the roster import does)."""
    for value, context, index_field, error in (
        (phone, PHONE_CONTEXT, "phone_index", AccountsError.PHONE_TAKEN),
        (id_card, ID_CARD_CONTEXT, "id_card_index", AccountsError.ID_CARD_TAKEN),
    ):
        if not value:
            continue
        owner = (
            await Person.filter(**{index_field: cipher.blind_index(value, context=context)})
            .exclude(id=person_id or 0)
            .using_db(conn)
            .select_related("unit")
            .first()
        )
        if owner is not None:
            whose = (
                f"已登记在工号 {owner.employee_no} 名下" if scope.reaches_unit(owner.unit.path) else "已被其他人员登记"
            )
            raise error.error(whose=whose)


async def _store(
    conn: Any, cipher: FieldCipher, scope: Scope, person: Person, edited: dict[str, Any], changed: list[str]
) -> None:
    """Write the edited fields, once the numbers among those that `changed` are found free."""
    employee_no = edited["employee_no"]
    others = Person.exclude(id=person.id) if person.id else Person.all()
    if "employee_no" in changed and await others.filter(employee_no=employee_no).using_db(conn).exists():
        raise AccountsError.EMPLOYEE_NO_TAKEN.error(employee_no=employee_no)
    phone, id_card = (edited[f] if f in changed else None for f in ("phone", "id_card"))
    await _personal_data_free(cipher, scope, conn, phone, id_card, person.id)
    _fill(person, cipher, edited)
    try:
        await person.save(using_db=conn)
    except IntegrityError:
        # A twin form sent at the same moment took the number first.
        raise AccountsError.EMPLOYEE_NO_TAKEN.error(employee_no=employee_no) from None


def _fill(person: Person, cipher: FieldCipher, edited: dict[str, Any]) -> None:
    person.employee_no, person.name = edited["employee_no"], edited["name"]
    person.staff_category = edited["staff_category"]
    phone, id_card = edited["phone"], edited["id_card"]
    person.phone_encrypted = phone and cipher.encrypt(phone, context=PHONE_CONTEXT)
    person.phone_index = phone and cipher.blind_index(phone, context=PHONE_CONTEXT)
    person.id_card_encrypted = id_card and cipher.encrypt(id_card, context=ID_CARD_CONTEXT)
    person.id_card_index = id_card and cipher.blind_index(id_card, context=ID_CARD_CONTEXT)


async def create_person(
    actor: Actor,
    cipher: FieldCipher,
    scope: Scope,
    *,
    employee_no: str,
    name: str,
    unit_code: str,
    staff_category: StaffCategory,
    phone: str | None,
    id_card: str | None,
) -> dict:
    """Add one person to the roster (新增人员), checked as a roster row is: a free employee
    number, phone and ID-card number, an enabled unit within `scope`."""
    edited = {"employee_no": employee_no, "name": name, "staff_category": staff_category}
    edited |= {"phone": phone, "id_card": id_card}
    async with in_transaction() as conn:
        person = Person(unit=await _unit_taking_people(scope, unit_code, conn))
        await _store(conn, cipher, scope, person, edited, list(_EDITED))
        view = person_view(person, cipher)
        await record(conn, actor, "accounts.create_person", "person", person.id, after=view)
    return view


async def update_person(
    actor: Actor,
    cipher: FieldCipher,
    scope: Scope,
    person_id: int,
    *,
    employee_no: str,
    name: str,
    staff_category: StaffCategory,
    phone: str | None,
    id_card: str | None,
) -> dict:
    """Correct a person's roster details (not their unit: that is a move). The audit entry holds
    the fields that changed, before and after, personal data masked."""
    edited = {"employee_no": employee_no, "name": name, "staff_category": staff_category}
    edited |= {"phone": phone, "id_card": id_card}
    async with in_transaction() as conn:
        person = await Person.filter(id=person_id).using_db(conn).select_for_update().first()
        if person is None:
            raise AccountsError.PERSON_NOT_FOUND.error()
        await person.fetch_related("unit", using_db=conn)
        scope.require_unit(person.unit.path)
        current = _edited_values(person, cipher)
        changed = [f for f in _EDITED if current[f] != edited[f]]
        before = person_view(person, cipher)
        if changed:
            await _store(conn, cipher, scope, person, edited, changed)
            after = person_view(person, cipher)
            shown = {"staff_category": "staff_category_label"}
            await record(
                conn,
                actor,
                "accounts.update_person",
                "person",
                person.id,
                {f: before[shown.get(f, f)] for f in changed},
                {f: after[shown.get(f, f)] for f in changed},
            )
    return {**person_view(person, cipher), "changed": changed}


def _edited_values(person: Person, cipher: FieldCipher) -> dict[str, Any]:
    """The form's fields as stored, personal data decrypted for comparing with what was typed."""
    return {
        "employee_no": person.employee_no,
        "name": person.name,
        "staff_category": person.staff_category,
        "phone": person.phone_encrypted and cipher.decrypt(person.phone_encrypted, context=PHONE_CONTEXT),
        "id_card": person.id_card_encrypted and cipher.decrypt(person.id_card_encrypted, context=ID_CARD_CONTEXT),
    }


async def person_form(cipher: FieldCipher, scope: Scope, person_id: int) -> dict:
    """What the edit form starts from: the person's details unmasked, for an admin who may edit
    them (the page shows them only in the form's fields)."""
    person = await Person.get_or_none(id=person_id).select_related("unit")
    if person is None:
        raise AccountsError.PERSON_NOT_FOUND.error()
    scope.require_unit(person.unit.path)
    values = _edited_values(person, cipher)
    return {**values, "staff_category": values["staff_category"].value}


async def move_person(actor: Actor, scope: Scope, person_id: int, unit_code: str, reason: str) -> dict:
    """Transfer a person to another unit (调动). The admin must reach both the unit the person
    leaves and the one they join: a unit's administrator hands a person over to a unit beyond
    their reach through an administrator above both. Cards, wallet and history stay with the
    person."""
    async with in_transaction() as conn:
        person = await Person.filter(id=person_id).using_db(conn).select_for_update().first()
        if person is None:
            raise AccountsError.PERSON_NOT_FOUND.error()
        source = await Unit.get(id=person.unit_id).using_db(conn)
        scope.require_unit(source.path)
        if not person.is_active:
            raise AccountsError.PERSON_LEFT.error()
        target = await _unit_taking_people(scope, unit_code, conn)
        if target.id == source.id:
            raise AccountsError.MOVE_TO_SAME_UNIT.error()
        person.unit = target
        await person.save(using_db=conn, update_fields=["unit_id", "updated_at"])
        await record(
            conn,
            actor,
            "accounts.move_person",
            "person",
            person.id,
            {"unit": {"code": source.code, "name": source.name}},
            {"unit": {"code": target.code, "name": target.name}, "reason": reason},
        )
    return {"id": person.id, "unit": {"code": target.code, "name": target.name}}
