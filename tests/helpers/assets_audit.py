"""Fresh assets things for the audit-coverage walk, made on the demo data: an asset in use to move
in, a loan approved and out, a disposal approved and waiting for its record; for the office-space
register a building and a room of their own, a room with an occupant, an import file; for
stock-taking an open task and a finding of a closed one. Each call makes its own building, room,
class and warehouse, named by `tag`, so no case takes what another (or the demo) uses."""

from __future__ import annotations

import io
from collections.abc import Awaitable
from datetime import date, timedelta

from openpyxl import Workbook

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
from backend.assets.service import disposals, space_import, stocktakes, warehouse
from backend.assets.service.qr import asset_number
from backend.core.audit import CLI_ACTOR, Actor
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.core.storage import Storage
from backend.core.timeutil import now, today
from backend.places import service as places

# The assets kinds need the unit's leader, then the bureau (主管部门 over SJGSW).
OFFICER, LEADER, BUREAU, UNIT = "D0002", "D0001", "D0005", "FGW-GHC"


async def _stage(tag: str) -> tuple[dict[str, int], int, int, Warehouse]:
    """(people by number, the unit, a room, a warehouse); D0002 an asset officer of FGW and
    D0001 FGW's leader, once."""
    staff = await people.people_by_employee_no([OFFICER, LEADER, BUREAU])
    unit_id = (await people.unit_by_code(UNIT)).id
    fgw = (await people.unit_by_code("FGW")).id
    await AssetOfficer.get_or_create(person_id=staff[OFFICER], unit_id=fgw)
    for employee_no, role, unit_code in (
        (LEADER, ApproverRole.UNIT_LEADER, "FGW"),
        (BUREAU, ApproverRole.AUTHORITY, "SJGSW"),
    ):
        try:
            await approval_setup.assign_approver(CLI_ACTOR, employee_no, role, unit_code)
        except AppError:
            pass  # assigned by an earlier case (or the demo)
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
    await approvals.decide(loan["approval"]["id"], 2, staff[BUREAU], True, "", now())
    return {"request_id": loan["id"]}


async def item_in_warehouse(tag: str, storage: Storage) -> dict:
    """{"entry_id"} of a fresh asset moved into a fresh warehouse, no request holding it."""
    _, unit_id, room_id, store = await _stage(tag)
    asset = await _asset(tag, unit_id, room_id)
    entry = await warehouse.move_in(
        Actor(None, "审计准备"), storage, asset.id, store.id, ItemCondition.GOOD, "", [], now()
    )
    return {"entry_id": entry["id"]}


async def disposal_approved(tag: str) -> dict:
    """{"disposal_id"} of a fresh scrapping, approved and waiting for its record."""
    staff, unit_id, room_id, _ = await _stage(tag)
    asset = await _asset(tag, unit_id, room_id)
    found, _ = await disposals.request_disposal(
        staff[OFFICER], f"audit-disp-{tag}", asset.asset_no, DisposalMethod.SCRAP, "审计报废", now()
    )
    await approvals.decide(found["approval"]["id"], 1, staff[LEADER], True, "", now())
    await approvals.decide(found["approval"]["id"], 2, staff[BUREAU], True, "", now())
    return {"disposal_id": found["id"]}


# ---- office space (一房一档) and stock-taking ----


async def building(tag: str) -> dict:
    """A fresh building with one floor and one room: {"building_id", "place_id"} (the room)."""
    made = await places.create_place(CLI_ACTOR, f"审计楼{tag}", None)
    floor = await places.create_place(CLI_ACTOR, "1楼", made["id"])
    room = await places.create_place(CLI_ACTOR, "101", floor["id"])
    return {"building_id": made["id"], "place_id": room["id"]}


async def room(tag: str) -> dict:
    """{"place_id"} of a fresh room (in a fresh building)."""
    return {"place_id": (await building(tag))["place_id"]}


async def building_id(tag: str) -> int:
    """The id of a fresh building (with a floor and a room)."""
    return (await building(tag))["building_id"]


async def room_id(tag: str) -> int:
    """The id of a fresh room (in a fresh building)."""
    return (await building(tag))["place_id"]


async def occupied_room(tag: str, person: Awaitable[int]) -> dict:
    """{"place_id", "person_id"} of a fresh room that the person (a World's fresh one) works in."""
    person_id = await person
    place_id = (await building(tag))["place_id"]
    await places.add_occupant(None, CLI_ACTOR, place_id, person_id, places.OfficeGrade.BELOW_BUREAU, date(2024, 1, 1))
    return {"place_id": place_id, "person_id": person_id}


def space_register(tag: str) -> bytes:
    """An office-space register (the import's own columns) of one office of FGW-BGS in a new building."""
    book = Workbook()
    sheet = book.active
    sheet.append(list(space_import.COLUMNS))
    sheet.append([f"审计导入楼{tag}", "2楼", "201", "18.00", "23.40", "办公室", "FGW-BGS", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def stocktake_form(tag: str) -> dict:
    """The form opening a stock-take over a fresh building's rooms, checked by D0002."""
    found = await building(tag)
    return {"title": f"审计盘点{tag}", "building_id": str(found["building_id"]), "checkers": OFFICER}


async def _open_stocktake(tag: str, with_asset: bool) -> dict:
    found = await building(tag)
    if with_asset:
        unit = await people.unit_by_code(UNIT)
        assert unit is not None
        await _asset(tag, unit.id, found["place_id"])
    return await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, f"审计盘点{tag}", None, found["building_id"], [OFFICER], now()
    )


async def stocktake_open(tag: str) -> dict:
    """{"stocktake_id"} of a fresh stock-take, open, over a fresh building."""
    return {"stocktake_id": (await _open_stocktake(tag, with_asset=False))["id"]}


async def stocktake_finding(tag: str) -> dict:
    """{"stocktake_id", "finding_id"}: a closed fresh stock-take's finding, unresolved (an asset
    nobody scanned, so missing)."""
    task = await _open_stocktake(tag, with_asset=True)
    closed = await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    return {"stocktake_id": task["id"], "finding_id": closed["findings"][0]["id"]}
