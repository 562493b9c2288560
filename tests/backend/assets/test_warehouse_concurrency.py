"""The 公物仓 under real concurrency on PostgreSQL: units asking for the same item at the same
moment, each on its own connection, leave exactly one request holding it; every other one is
told the item is taken and leaves nothing behind. Afterwards the invariants hold: one open stay
per asset, an item held by at most one request in approval. And an asset asked to be disposed of
twice and moved into the warehouse at the same moment ends up in exactly one of the two."""

import asyncio

from backend.assets.models import (
    Asset,
    AssetStatus,
    Disposal,
    DisposalMethod,
    ItemCondition,
    RequestKind,
    RequestState,
    WarehouseEntry,
    WarehouseRequest,
)
from backend.assets.service import disposals, warehouse
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.timeutil import now

RACERS = 12


def _form(world, unit: str) -> warehouse.RequestForm:
    return warehouse.RequestForm(
        entry_id=world.table_entry.id, unit_id=world.units[unit], kind=RequestKind.ALLOCATE, purpose="会议室使用"
    )


async def _invariants(world) -> None:
    open_stays = await WarehouseEntry.filter(asset_id=world.assets["table"].id, open_asset_id__isnull=False).count()
    assert open_stays == 1
    pending = await WarehouseRequest.filter(entry_id=world.table_entry.id, state=RequestState.PENDING)
    assert len(pending) <= 1
    held = (await WarehouseEntry.get(id=world.table_entry.id)).held_by_request_id
    assert held == (pending[0].id if pending else None)


async def test_two_units_requesting_the_same_item_at_once_exactly_one_gets_it(assets_world, requires_postgres):
    results = await asyncio.gather(
        warehouse.request_item(assets_world.people["D0002"], "race-fgw-01", _form(assets_world, "FGW-GHC"), now()),
        warehouse.request_item(assets_world.people["D0003"], "race-czj-01", _form(assets_world, "CZJ-BGS"), now()),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(won) == 1 and len(refused) == 1, results
    assert refused[0].code == "assets.item_taken"
    assert await WarehouseRequest.all().count() == 1
    assert (await WarehouseEntry.get(id=assets_world.table_entry.id)).held_by_request_id == won[0][0]["id"]
    await _invariants(assets_world)


async def test_many_requests_at_once_leave_one_holder_and_a_withdrawal_lets_the_next_one_in(
    assets_world, requires_postgres
):
    units = ["FGW-GHC", "FGW-BGS", "FGW"]
    racers = [
        warehouse.request_item(
            assets_world.people["D0003"] if i % 2 else assets_world.people["D0002"],
            f"race-many-{i:02d}",
            _form(assets_world, "CZJ-BGS" if i % 2 else units[i % 3]),
            now(),
        )
        for i in range(RACERS)
    ]
    results = await asyncio.gather(*racers, return_exceptions=True)
    won = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(won) == 1 and len(refused) == RACERS - 1, [r for r in results if not isinstance(r, (tuple, AppError))]
    assert {e.code for e in refused} == {"assets.item_taken"}
    await _invariants(assets_world)

    winner = won[0][0]
    stored = await WarehouseRequest.get(id=winner["id"])
    await warehouse.cancel(stored.requester_id, winner["id"], now())
    again = await asyncio.gather(
        warehouse.request_item(assets_world.people["D0002"], "race-after-01", _form(assets_world, "FGW-GHC"), now()),
        warehouse.request_item(assets_world.people["D0003"], "race-after-02", _form(assets_world, "CZJ-BGS"), now()),
        return_exceptions=True,
    )
    assert sum(isinstance(r, tuple) for r in again) == 1
    assert [r.code for r in again if isinstance(r, AppError)] == ["assets.item_taken"]
    await _invariants(assets_world)


async def test_a_disposal_and_a_move_in_of_one_asset_at_once_leave_one_of_them(
    assets_world, runtime, requires_postgres
):
    desk = assets_world.assets["desk"]
    results = await asyncio.gather(
        disposals.request_disposal(
            assets_world.people["D0002"], "race-disp-01", desk.asset_no, DisposalMethod.SCRAP, "桌腿断裂", now()
        ),
        disposals.request_disposal(
            assets_world.people["D0002"], "race-disp-02", desk.asset_no, DisposalMethod.DONATE, "捐给学校", now()
        ),
        warehouse.move_in(
            Actor(None, "公物仓管理员"),
            runtime.storage,
            desk.id,
            assets_world.warehouse.id,
            ItemCondition.GOOD,
            "",
            [],
            now(),
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(refused) == 2, results
    assert {e.code for e in refused} <= {"assets.not_disposable", "assets.not_movable_in"}
    status = (await Asset.get(id=desk.id)).status
    disposals_filed = await Disposal.filter(asset_id=desk.id).count()
    entries = await WarehouseEntry.filter(asset_id=desk.id).count()
    assert (status, disposals_filed, entries) in (
        (AssetStatus.PENDING_DISPOSAL, 1, 0),
        (AssetStatus.IN_WAREHOUSE, 0, 1),
    )
