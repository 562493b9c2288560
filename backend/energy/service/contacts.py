"""A unit's energy contacts (能耗联络员): the people told of the unit's budget alerts through
WeChat, who see its budget, use and alerts in the mini-program. A contact is on the roster of the
unit or of a unit below it."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.energy.errors import EnergyError
from backend.energy.models import EnergyContact


def _invalid(problem: str) -> Exception:
    return EnergyError.CONTACT_INVALID.error(problem=problem)


def _view(
    contact: EnergyContact, units: dict[int, people.UnitSummary], persons: dict[int, people.PersonSummary]
) -> dict:
    unit, person = units.get(contact.unit_id), persons.get(contact.person_id)
    return {
        "id": contact.id,
        "unit_id": contact.unit_id,
        "unit_name": unit.name if unit else "",
        "person_id": contact.person_id,
        "person_name": person.name if person else "",
        "employee_no": person.employee_no if person else "",
        "person_active": bool(person and person.is_active),
        "created_at": contact.created_at.isoformat(),
    }


async def _views(found: list[EnergyContact]) -> list[dict]:
    units = await people.units_by_id(c.unit_id for c in found)
    persons = {p.id: p for p in await people.people_summaries(c.person_id for c in found)}
    return [_view(c, units, persons) for c in found]


def _audited(view: dict) -> dict:
    return {"unit": view["unit_name"], "person": f"{view['person_name']}（{view['employee_no']}）"}


async def add_contact(actor: Actor, unit_id: int, person_id: int) -> dict:
    """Make an active person of the unit (or of a unit below it) an energy contact of the unit.
    Audited."""
    units = await people.units_by_id([unit_id])
    unit = units.get(unit_id)
    if unit is None or not unit.is_enabled:
        raise _invalid("单位不存在或已停用")
    found = await people.people_summaries([person_id])
    if not found or not found[0].is_active:
        raise _invalid("人员不存在或已离职")
    home = (await people.units_by_id([found[0].unit_id])).get(found[0].unit_id)
    if home is None or not home.path.startswith(unit.path):
        raise _invalid(f"{found[0].name}不在{unit.name}或其下属单位")
    try:
        async with in_transaction() as conn:
            contact = await EnergyContact.create(unit_id=unit_id, person_id=person_id, using_db=conn)
            view = _view(contact, units, {person_id: found[0]})
            await record(conn, actor, "energy.add_contact", "energy_contact", contact.id, None, _audited(view))
    except IntegrityError:
        raise _invalid(f"{found[0].name}已是{unit.name}的能耗联络员") from None
    return view


async def remove_contact(actor: Actor, contact_id: int) -> dict:
    """The contact removed (audited)."""
    async with in_transaction() as conn:
        contact = await EnergyContact.filter(id=contact_id).using_db(conn).select_for_update().first()
        if contact is None:
            raise EnergyError.CONTACT_NOT_FOUND.error()
        (view,) = await _views([contact])
        await contact.delete(using_db=conn)
        await record(conn, actor, "energy.remove_contact", "energy_contact", contact_id, _audited(view), None)
    return view


async def contacts(unit_id: int | None = None) -> list[dict]:
    """The energy contacts of one unit, or of every unit, by unit and then by when they were added."""
    query = EnergyContact.all() if unit_id is None else EnergyContact.filter(unit_id=unit_id)
    return await _views(await query.order_by("unit_id", "id"))


async def contact_units(person_id: int) -> list[int]:
    """The units whose energy contact this person is."""
    return sorted(await EnergyContact.filter(person_id=person_id).values_list("unit_id", flat=True))


async def people_to_tell(unit_id: int, conn: Any = None) -> list[int]:
    """The unit's contacts still on the roster (a contact who has left is told nothing), read on
    `conn` when given: the caller's transaction must not wait for a second connection."""
    person_ids = (
        await EnergyContact.filter(unit_id=unit_id).using_db(conn).order_by("id").values_list("person_id", flat=True)
    )
    found = [await people.person_summary(person_id, using_db=conn) for person_id in person_ids]
    return [person.id for person in found if person.is_active]
