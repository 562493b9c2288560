"""A 公物仓 item out on loan is 在用 at the borrower's but still the warehouse's: only its return
moves it. Editing its card's unit, room, custodian or status, moving it into the warehouse again
or relocating it after a stock-take are refused, and nothing of it changes."""

from __future__ import annotations

import pytest

from backend.assets.models import Asset, AssetMove, AssetStatus, ItemCondition
from backend.assets.service import cards, warehouse
from backend.assets.service.cards import CardDetails
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.core.timeutil import now
from tests.helpers.assets_approvals import approved_loan


async def _lent_table(world) -> Asset:
    await approved_loan(world, "loan-guard-01", due_in_days=5, place="303")
    table = await Asset.get(id=world.assets["table"].id)
    assert table.status is AssetStatus.IN_USE and table.place_id == world.places["303"]
    return table


async def test_a_lent_items_card_cannot_be_moved_or_its_status_changed(assets_world):
    table = await _lent_table(assets_world)
    moves_before = await AssetMove.filter(asset_id=table.id).count()
    details = CardDetails(
        name=table.name,
        category_id=table.category_id,
        unit_id=table.unit_id,
        original_value_fen=table.original_value_fen,
        purchase_date=table.purchase_date,
        spec=table.spec,
        place_id=assets_world.places["301"],
        status=AssetStatus.IDLE,
    )
    with pytest.raises(AppError) as refused:
        await cards.update(CLI_ACTOR, Scope.EVERYTHING, table.id, details)
    assert refused.value.code == "assets.asset_on_loan"
    after = await Asset.get(id=table.id)
    assert (after.place_id, after.status) == (assets_world.places["303"], AssetStatus.IN_USE)
    assert await AssetMove.filter(asset_id=table.id).count() == moves_before


async def test_a_lent_item_cannot_be_moved_into_the_warehouse_a_second_time(assets_world, runtime):
    table = await _lent_table(assets_world)
    with pytest.raises(AppError) as refused:
        await warehouse.move_in(
            CLI_ACTOR, runtime.storage, table.id, assets_world.warehouse.id, ItemCondition.GOOD, "", [], now()
        )
    assert refused.value.code == "assets.asset_on_loan"
    assert (await Asset.get(id=table.id)).status is AssetStatus.IN_USE
