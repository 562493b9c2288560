"""Fresh 公物仓 and disposal things for the audit-coverage walk, made on the demo data (which has
no assets): an asset in use to move in, a loan approved and out, a disposal approved and waiting
for its record. Each call makes its own room, class and warehouse, named by `tag`."""

from __future__ import annotations

from datetime import date, timedelta

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.approvals.models import ApproverRole
from backend.approvals.service import setup as approval_setup
from backend.assets.models import (
    Asset,
    AssetCategory,
    AssetOfficer,
    DisposalMethod,
    ItemCondition,
    RequestKind,
    Warehouse,
)
from backend.assets.service import disposals, warehouse
from backend.assets.service.qr import asset_number
from backend.core.audit import CLI_ACTOR, Actor
from backend.core.errors import AppError
from backend.core.storage import Storage
from backend.core.timeutil import now, today
from backend.places import service as places

OFFICER, LEADER, UNIT = "D0002", "D0001", "FGW-GHC"


async def _stage(tag: str) -> tuple[dict[str, int], int, int, Warehouse]:
    """(people by number, the unit, a room, a warehouse); D0002 an asset officer of FGW and
    D0001 FGW's leader, once."""
    staff = await people.people_by_employee_no([OFFICER, LEADER])
    unit_id = (await people.unit_by_code(UNIT)).id
    fgw = (await people.unit_by_code("FGW")).id
    await AssetOfficer.get_or_create(person_id=staff[OFFICER], unit_id=fgw)
    try:
        await approval_setup.assign_approver(CLI_ACTOR, LEADER, ApproverRole.UNIT_LEADER, "FGW")
    except AppError:
        pass  # assigned by an earlier case
    building = await places.create_place(CLI_ACTOR, f"审计楼{tag}", None)
    floor = await places.create_place(CLI_ACTOR, "1楼", building["id"])
    room = await places.create_place(CLI_ACTOR, "101", floor["id"])
    store = await Warehouse.create(name=f"审计公物仓{tag}", place_id=room["id"])
    return staff, unit_id, room["id"], store


async def _asset(tag: str, unit_id: int, room_id: int) -> Asset:
    category = await AssetCategory.create(code=f"Z{tag}", name="审计分类", path="", useful_life_months=60)
    category.path = f"/{category.id}/"
    await category.save(update_fields=["path"])
    asset = await Asset.create(
        category=category,
        name="审计测试柜",
        unit_id=unit_id,
        place_id=room_id,
        original_value_fen=120000,
        purchase_date=date(2023, 5, 1),
        useful_life_months=60,
    )
    asset.asset_no = asset_number(asset.id)
    await asset.save(update_fields=["asset_no"])
    return asset


async def asset_to_move_in(tag: str) -> dict:
    """The move-in form for a fresh asset in use."""
    _, unit_id, room_id, store = await _stage(tag)
    asset = await _asset(tag, unit_id, room_id)
    return {"asset_no": asset.asset_no, "warehouse_id": str(store.id), "condition": "good"}


async def loan_out(tag: str, storage: Storage) -> dict:
    """{"request_id"} of a fresh loan, approved and not returned."""
    staff, unit_id, room_id, store = await _stage(tag)
    asset = await _asset(tag, unit_id, room_id)
    entry = await warehouse.move_in(
        Actor(None, "审计准备"), storage, asset.id, store.id, ItemCondition.GOOD, "", [], now()
    )
    form = warehouse.RequestForm(
        entry_id=entry["id"],
        unit_id=unit_id,
        kind=RequestKind.LOAN,
        purpose="审计借用",
        return_due=today() + timedelta(days=5),
    )
    loan, _ = await warehouse.request_item(staff[OFFICER], f"audit-loan-{tag}", form, now())
    await approvals.decide(loan["approval"]["id"], 1, staff[LEADER], True, "", now())
    return {"request_id": loan["id"]}


async def disposal_approved(tag: str) -> dict:
    """{"disposal_id"} of a fresh scrapping, approved and waiting for its record."""
    staff, unit_id, room_id, _ = await _stage(tag)
    asset = await _asset(tag, unit_id, room_id)
    found, _ = await disposals.request_disposal(
        staff[OFFICER], f"audit-disp-{tag}", asset.asset_no, DisposalMethod.SCRAP, "审计报废", now()
    )
    await approvals.decide(found["approval"]["id"], 1, staff[LEADER], True, "", now())
    return {"disposal_id": found["id"]}
