"""STAND-IN (helper budgets writes the real file): the units' energy contacts."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from backend.accounts.service import people
from backend.core.audit import Actor
from backend.energy.errors import EnergyError
from backend.energy.models import EnergyContact


async def add_contact(actor: Actor, unit_id: int, person_id: int) -> dict:
    if not (await people.units_by_id([unit_id])):
        raise EnergyError.CONTACT_INVALID.error(problem="单位不存在")
    if not await people.person_exists(person_id):
        raise EnergyError.CONTACT_INVALID.error(problem="人员不存在")
    try:
        contact = await EnergyContact.create(unit_id=unit_id, person_id=person_id)
    except IntegrityError:
        raise EnergyError.CONTACT_INVALID.error(problem="此人已是该单位的能耗联络员") from None
    return {"id": contact.id, "unit_id": unit_id, "person_id": person_id}


async def remove_contact(actor: Actor, contact_id: int) -> dict:
    contact = await EnergyContact.get_or_none(id=contact_id)
    if contact is None:
        raise EnergyError.CONTACT_INVALID.error(problem="联络员不存在")
    await contact.delete()
    return {"id": contact_id}


async def contacts(unit_id: int | None = None) -> list[dict]:
    query = EnergyContact.all().order_by("unit_id", "id")
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    rows = await query
    units = await people.units_by_id({c.unit_id for c in rows})
    persons = {p.id: p for p in await people.people_summaries([c.person_id for c in rows])}
    return [
        {
            "id": c.id,
            "unit_id": c.unit_id,
            "unit_name": units[c.unit_id].name,
            "person_id": c.person_id,
            "person_name": persons[c.person_id].name,
            "employee_no": persons[c.person_id].employee_no,
            "created_at": c.created_at,
        }
        for c in rows
    ]


async def contact_units(person_id: int) -> list[int]:
    return list(await EnergyContact.filter(person_id=person_id).order_by("unit_id").values_list("unit_id", flat=True))
