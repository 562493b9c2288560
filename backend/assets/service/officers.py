"""The units' asset officers (资产管理员): who may act for a unit's assets and rooms in the
mini-program (request from the 公物仓, ask for a disposal or a room, check rooms in a
stock-take). An officer of a unit acts for it and every unit below it."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import AssetOfficer
from backend.core.audit import Actor, record


async def units_of(person_id: int) -> list[people.UnitSummary]:
    """The units `person_id` is an active asset officer of (not those below them), by code."""
    unit_ids = await AssetOfficer.filter(person_id=person_id, is_active=True).values_list("unit_id", flat=True)
    units = await people.units_by_id(unit_ids)
    return sorted(units.values(), key=lambda u: u.code)


async def acts_for(person_id: int, unit_id: int) -> bool:
    """Whether `person_id` is an active asset officer of `unit_id` or of a unit above it."""
    target = (await people.units_by_id([unit_id])).get(unit_id)
    if target is None:
        return False
    return any(target.path.startswith(unit.path) for unit in await units_of(person_id))


async def require(person_id: int, unit_id: int) -> None:
    """Raises assets.not_asset_officer unless `person_id` acts for `unit_id`."""
    if not await acts_for(person_id, unit_id):
        raise AssetsError.NOT_ASSET_OFFICER.error()


# ---- H1 cards: appointing officers (console, assets.manage_setup) ----


def _officer_view(officer: AssetOfficer, person: people.PersonSummary, unit: people.UnitSummary) -> dict:
    return {
        "id": officer.id,
        "person_id": person.id,
        "employee_no": person.employee_no,
        "person_name": person.name,
        "unit_id": unit.id,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "is_active": officer.is_active,
    }


async def assign(actor: Actor, employee_no: str, unit_code: str) -> dict:
    """Make the active person with `employee_no` an asset officer of the enabled unit
    `unit_code` (again, if they were one before)."""
    ids = await people.person_ids_with_employee_no((employee_no or "").strip())
    summaries = await people.people_summaries(ids)
    person = next((p for p in summaries if p.is_active), None)
    if person is None:
        raise AssetsError.OFFICER_PERSON_INVALID.error()
    unit = await people.unit_by_code((unit_code or "").strip())
    if unit is None or not unit.is_enabled:
        raise AssetsError.UNIT_INVALID.error()
    async with in_transaction() as conn:
        officer = (
            await AssetOfficer.filter(person_id=person.id, unit_id=unit.id).using_db(conn).select_for_update().first()
        )
        before = None if officer is None else _officer_view(officer, person, unit)
        if officer is None:
            officer = await AssetOfficer.create(person_id=person.id, unit_id=unit.id, using_db=conn)
        elif not officer.is_active:
            officer.is_active = True
            await officer.save(using_db=conn, update_fields=["is_active"])
        after = _officer_view(officer, person, unit)
        if before != after:
            await record(conn, actor, "assets.assign_officer", "asset_officer", officer.id, before, after)
    return after


async def deactivate(actor: Actor, officer_id: int) -> dict:
    """Stop an asset officer acting for their unit (their past requests stay theirs)."""
    async with in_transaction() as conn:
        officer = await AssetOfficer.filter(id=officer_id).using_db(conn).select_for_update().first()
        if officer is None:
            raise AssetsError.OFFICER_NOT_FOUND.error()
        person = await people.person_summary(officer.person_id, using_db=conn)
        unit = (await people.units_by_id([officer.unit_id]))[officer.unit_id]
        before = _officer_view(officer, person, unit)
        if officer.is_active:
            officer.is_active = False
            await officer.save(using_db=conn, update_fields=["is_active"])
            await record(
                conn,
                actor,
                "assets.deactivate_officer",
                "asset_officer",
                officer.id,
                before,
                _officer_view(officer, person, unit),
            )
    return _officer_view(officer, person, unit)


async def list_officers(*, active_only: bool = False) -> list[dict]:
    """The asset officers, active ones first, by unit code then employee number."""
    query = AssetOfficer.filter(is_active=True) if active_only else AssetOfficer.all()
    officers = await query
    persons = {p.id: p for p in await people.people_summaries({o.person_id for o in officers})}
    units = await people.units_by_id({o.unit_id for o in officers})
    views = [_officer_view(o, persons[o.person_id], units[o.unit_id]) for o in officers]
    return sorted(views, key=lambda v: (not v["is_active"], v["unit_code"], v["employee_no"]))
