"""The assets module's part of a person leaving (离职), declared in assets/module.py as
`person_leaving` and run by accounts' leave form inside the transaction that marks the person as
left: their asset-officer roles are stopped, the assets in their custody stay with their unit and
room but have no custodian (each change in the card's history), and they are taken out of the
rooms they were registered in, so that the area standard no longer counts them. Requests they
made that are still in approval are left to the approvers, who see that the requester has left."""

from __future__ import annotations

from typing import Any

from backend.accounts.service.leaving import Departure, LeavingPreview
from backend.assets.models import Asset, AssetOfficer, MoveReason
from backend.assets.service import moves
from backend.core.audit import Actor, record
from backend.core.timeutil import now
from backend.places import service as places

TITLE = "资产与办公用房"


async def preview(person_id: int, permitted: bool) -> LeavingPreview:
    """What leaving does to the person's officer roles, custody and rooms."""
    lines = []
    officer_of = await AssetOfficer.filter(person_id=person_id, is_active=True).count()
    if officer_of:
        lines.append(f"停用资产管理员身份（{officer_of} 个单位）")
    in_custody = await Asset.filter(custodian_id=person_id).count()
    if in_custody:
        lines.append(f"保管的 {in_custody} 件资产改为无使用人，仍记在原单位、原房间")
    rooms = await places.rooms_of(person_id)
    if rooms:
        lines.append(f"从 {'、'.join(sorted(rooms.values()))} 的使用人中移出")
    return LeavingPreview(TITLE, lines)


async def leave(conn: Any, actor: Actor, departure: Departure) -> list[str]:
    """Stop the officer roles, clear the custody and the rooms, on `conn`."""
    person_id, at, done = departure.person_id, now(), []
    officers = await AssetOfficer.filter(person_id=person_id, is_active=True).using_db(conn)
    for officer in officers:
        await AssetOfficer.filter(id=officer.id).using_db(conn).update(is_active=False)
        await record(conn, actor, "assets.deactivate_officer", "asset_officer", officer.id, after={"is_active": False})
    if officers:
        done.append(f"停用资产管理员身份 {len(officers)} 个")
    held = await Asset.filter(custodian_id=person_id).using_db(conn).select_for_update().order_by("id")
    for asset in held:
        await moves.move(conn, asset, MoveReason.EDITED, actor.name, at, custodian_id=None, note="使用人离职")
    if held:
        done.append(f"{len(held)} 件资产改为无使用人")
    rooms = await places.rooms_of(person_id, conn)
    for place_id in sorted(rooms):
        await places.remove_occupant(conn, actor, place_id, person_id)
    if rooms:
        done.append(f"从 {len(rooms)} 个房间的使用人中移出")
    return done
