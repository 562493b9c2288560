"""The units' asset officers (资产管理员): who may act for a unit's assets and rooms in the
mini-program (request from the 公物仓, ask for a disposal or a room, check rooms in a
stock-take). An officer of a unit acts for it and every unit below it."""

from __future__ import annotations

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import AssetOfficer


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
