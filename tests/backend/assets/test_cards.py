"""Asset cards: a card is numbered from its id in the transaction that saves it (and two saved at
once on PostgreSQL never share a number), bad values are refused with their own code, edits of
unit, room, custodian and status go to the card's history and are refused while the 公物仓 or a
disposal holds the asset, and the list filters by subtree and searches number, name and spec."""

import asyncio
import io
from dataclasses import replace
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from backend.accounts.models import Unit
from backend.accounts.service import people
from backend.assets.models import Asset, AssetMove, AssetStatus, MoveReason
from backend.assets.service import cards
from backend.assets.service.cards import CardDetails, CardFilters
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import today


def _details(world, **changes) -> CardDetails:
    base = CardDetails(
        name="笔记本电脑",
        category_id=world.categories["A020101"].id,
        unit_id=world.units["FGW-BGS"],
        original_value_fen=750000,
        purchase_date=date(2025, 5, 20),
        spec="ThinkPad X1",
        place_id=world.places["301"],
        custodian_id=world.people["D0001"],
    )
    return replace(base, **changes)


def _as_details(asset: Asset, **changes) -> CardDetails:
    return replace(
        CardDetails(
            name=asset.name,
            category_id=asset.category_id,
            unit_id=asset.unit_id,
            original_value_fen=asset.original_value_fen,
            purchase_date=asset.purchase_date,
            spec=asset.spec,
            place_id=asset.place_id,
            custodian_id=asset.custodian_id,
            useful_life_months=asset.useful_life_months,
            status=asset.status,
            note=asset.note,
        ),
        **changes,
    )


async def _refused(code: str, call) -> AppError:
    with pytest.raises(AppError) as refused:
        await call
    assert refused.value.code == code, refused.value.message
    return refused.value


async def test_a_registered_card_is_numbered_from_its_id_takes_its_class_life_and_starts_its_history(assets_world):
    saved = await cards.register(CLI_ACTOR, Scope.EVERYTHING, _details(assets_world))

    asset = await Asset.get(id=saved["id"])
    assert asset.asset_no == f"ZC{asset.id:08d}" == saved["asset_no"]
    assert asset.useful_life_months == 72
    move = await AssetMove.get(asset_id=asset.id)
    assert move.reason is MoveReason.REGISTERED and move.to_place_id == assets_world.places["301"]
    assert await AuditEntry.filter(action="assets.register_asset", object_id=str(asset.id)).exists()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"original_value_fen": -1}, "assets.value_invalid"),
        ({"original_value_fen": 0}, "assets.value_invalid"),
        ({"purchase_date": today() + timedelta(days=1)}, "assets.purchase_date_invalid"),
        ({"name": " "}, "assets.asset_name_invalid"),
        ({"useful_life_months": 601}, "assets.life_invalid"),
        ({"status": AssetStatus.IN_WAREHOUSE}, "assets.status_not_editable"),
        ({"custodian_id": 999999}, "assets.custodian_invalid"),
        ({"place_id": 999999}, "assets.place_not_room"),
        ({"category_id": 999999}, "assets.category_not_found"),
    ],
)
async def test_a_bad_card_is_refused_with_its_own_code_and_nothing_is_saved(assets_world, changes, code):
    await _refused(code, cards.register(CLI_ACTOR, Scope.EVERYTHING, _details(assets_world, **changes)))

    assert await Asset.all().count() == 4


async def test_a_card_of_value_zero_is_accepted_when_its_note_says_where_it_came_from(assets_world):
    saved = await cards.register(
        CLI_ACTOR, Scope.EVERYTHING, _details(assets_world, original_value_fen=0, note="市档案馆无偿调入")
    )

    assert saved["original_value_fen"] == 0


async def test_a_floor_or_a_building_is_not_a_room_for_an_asset(assets_world):
    for name in ("A座", "A座 3楼"):
        await _refused(
            "assets.place_not_room",
            cards.register(CLI_ACTOR, Scope.EVERYTHING, _details(assets_world, place_id=assets_world.places[name])),
        )


async def test_a_unit_outside_the_admins_scope_or_disabled_is_refused(assets_world):
    fgw = Scope.units([(await people.unit_by_code("FGW")).path])

    await _refused(
        "assets.unit_invalid",
        cards.register(CLI_ACTOR, fgw, _details(assets_world, unit_id=assets_world.units["CZJ-BGS"])),
    )
    # Disabled as if its people had moved away first.
    await Unit.filter(id=assets_world.units["FGW-GHC"]).update(is_enabled=False)
    await _refused(
        "assets.unit_invalid",
        cards.register(CLI_ACTOR, Scope.EVERYTHING, _details(assets_world, unit_id=assets_world.units["FGW-GHC"])),
    )


async def test_moving_an_asset_by_editing_its_card_is_written_to_its_history(assets_world):
    pc = assets_world.assets["pc"]

    await cards.update(
        CLI_ACTOR,
        Scope.EVERYTHING,
        pc.id,
        _as_details(pc, place_id=assets_world.places["303"], custodian_id=None, status=AssetStatus.IDLE, spec="新规格"),
    )

    saved = await Asset.get(id=pc.id)
    assert (saved.place_id, saved.custodian_id, saved.status, saved.spec) == (
        assets_world.places["303"],
        None,
        AssetStatus.IDLE,
        "新规格",
    )
    move = await AssetMove.get(asset_id=pc.id)
    assert move.reason is MoveReason.EDITED
    assert (move.from_place_id, move.to_place_id) == (assets_world.places["301"], assets_world.places["303"])
    assert (move.from_status, move.to_status) == ("in_use", "idle")


async def test_an_asset_in_the_warehouse_or_being_disposed_of_cannot_be_moved_by_editing(assets_world):
    table = assets_world.assets["table"]
    refused = await _refused(
        "assets.asset_locked",
        cards.update(CLI_ACTOR, Scope.EVERYTHING, table.id, _as_details(table, place_id=assets_world.places["303"])),
    )
    assert "在仓" in refused.message

    chair = assets_world.assets["chair"]
    await Asset.filter(id=chair.id).update(status=AssetStatus.PENDING_DISPOSAL)
    chair = await Asset.get(id=chair.id)
    await _refused(
        "assets.asset_locked",
        cards.update(CLI_ACTOR, Scope.EVERYTHING, chair.id, _as_details(chair, status=AssetStatus.IN_USE)),
    )
    assert await AssetMove.all().count() == 0


async def test_a_warehouse_items_description_can_still_be_corrected(assets_world):
    table = assets_world.assets["table"]

    await cards.update(CLI_ACTOR, Scope.EVERYTHING, table.id, _as_details(table, spec="2.4 m 橡木"))

    assert (await Asset.get(id=table.id)).spec == "2.4 m 橡木"


@pytest.mark.parametrize("status", [AssetStatus.IN_WAREHOUSE, AssetStatus.PENDING_DISPOSAL, AssetStatus.DISPOSED])
@pytest.mark.parametrize(
    "changes",
    [
        {"original_value_fen": 900000},
        {"purchase_date": date(2019, 1, 1)},
        {"useful_life_months": 120},
        {"category": "A050105"},
    ],
    ids=["value", "purchase date", "life", "class"],
)
async def test_a_held_assets_value_date_life_and_class_cannot_be_edited_on_its_card(assets_world, status, changes):
    desk = assets_world.assets["desk"]
    await Asset.filter(id=desk.id).update(status=status)
    desk = await Asset.get(id=desk.id)
    if "category" in changes:
        changes = {"category_id": assets_world.categories[changes["category"]].id}
    refused = await _refused(
        "assets.asset_value_locked", cards.update(CLI_ACTOR, Scope.EVERYTHING, desk.id, _as_details(desk, **changes))
    )
    assert status.label in refused.message
    again = await Asset.get(id=desk.id)
    assert (again.original_value_fen, again.purchase_date, again.useful_life_months, again.category_id) == (
        200000,
        date(2020, 6, 1),
        180,
        assets_world.categories["A050103"].id,
    )
    await cards.update(
        CLI_ACTOR,
        Scope.EVERYTHING,
        desk.id,
        _as_details(desk, name="办公桌（旧）", spec="1.6 m", note="核对", useful_life_months=None),
    )
    assert (await Asset.get(id=desk.id)).name == "办公桌（旧）"


async def test_an_idle_assets_value_can_still_be_corrected(assets_world):
    desk = assets_world.assets["desk"]
    await Asset.filter(id=desk.id).update(status=AssetStatus.IDLE)
    desk = await Asset.get(id=desk.id)
    await cards.update(CLI_ACTOR, Scope.EVERYTHING, desk.id, _as_details(desk, original_value_fen=210000))
    assert (await Asset.get(id=desk.id)).original_value_fen == 210000


async def test_an_admin_cannot_edit_a_card_of_a_unit_outside_their_scope(assets_world):
    chair = assets_world.assets["chair"]
    fgw = Scope.units([(await people.unit_by_code("FGW")).path])

    await _refused("assets.unit_invalid", cards.update(CLI_ACTOR, fgw, chair.id, _as_details(chair, spec="x")))
    await _refused("assets.asset_not_found", cards.card(fgw, chair.id))


async def test_the_card_shows_depreciation_its_history_with_names_and_its_repairs(assets_world, monkeypatch):
    pc = assets_world.assets["pc"]
    asked = []

    async def repairs_of(asset_id):
        asked.append(asset_id)
        return [{"id": 7, "description": "开不了机"}]

    monkeypatch.setattr(cards, "repairs_of", repairs_of)
    await cards.update(CLI_ACTOR, Scope.EVERYTHING, pc.id, _as_details(pc, place_id=assets_world.places["303"]))

    card = await cards.card(Scope.EVERYTHING, pc.id)

    assert card["unit_name"] == "市发展和改革委员会·办公室" and card["custodian_name"] == "张伟"
    assert card["depreciation"]["accumulated_fen"] + card["depreciation"]["net_fen"] == 600000
    assert card["depreciation"]["monthly_fen"] == 600000 // 72
    assert [(m["from_place"], m["to_place"]) for m in card["moves"]] == [("A座 3楼 301", "A座 3楼 303")]
    assert card["repairs"] == [{"id": 7, "description": "开不了机"}] and asked == [pc.id]


async def test_the_list_filters_by_unit_class_and_place_subtrees_status_and_purchase_dates(assets_world):
    w = assets_world

    async def names(**filters) -> set[str]:
        found = await cards.list_cards(Scope.EVERYTHING, CardFilters(**filters), 1, 50)
        return {row["name"] for row in found.items}

    assert await names(unit_id=w.units["FGW"]) == {"台式计算机", "办公桌", "会议桌"}
    assert await names(category_id=w.categories["A05"].id) == {"办公桌", "办公椅", "会议桌"}
    assert await names(place_id=w.places["A座 3楼"]) == {"台式计算机", "办公桌", "办公椅"}
    assert await names(status=AssetStatus.IN_WAREHOUSE) == {"会议桌"}
    assert await names(custodian_id=w.people["D0001"]) == {"台式计算机"}
    assert await names(bought_from=date(2021, 1, 1), bought_until=date(2022, 12, 31)) == {"办公椅", "会议桌"}


async def test_search_finds_by_exact_number_or_part_of_name_or_spec_in_any_case_within_the_admins_scope(assets_world):
    w = assets_world
    czj = Scope.units([(await people.unit_by_code("CZJ")).path])

    async def names(scope, query) -> set[str]:
        return {row["name"] for row in (await cards.list_cards(scope, CardFilters(query=query))).items}

    await Asset.filter(id=w.assets["pc"].id).update(spec="ThinkCentre M720")

    assert await names(Scope.EVERYTHING, w.assets["chair"].asset_no.lower()) == {"办公椅"}
    assert await names(Scope.EVERYTHING, "thinkcentre") == {"台式计算机"}
    assert await names(Scope.EVERYTHING, "计算") == {"台式计算机"}
    assert await names(Scope.EVERYTHING, "实木") == {"会议桌"}
    assert await names(czj, "办公") == {"办公椅"}


async def test_the_export_holds_every_matching_card_with_values_in_yuan(assets_world):
    body = await cards.export(Scope.EVERYTHING, CardFilters(category_id=assets_world.categories["A05"].id))

    sheet = load_workbook(io.BytesIO(body)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("资产编号", "资产名称")
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"办公桌", "办公椅", "会议桌"}
    assert float(by_name["办公椅"][7]) == 800.0 and by_name["会议桌"][11] == "在仓"


async def test_cards_saved_at_once_never_share_a_number(assets_world, requires_postgres):
    details = [_details(assets_world, name=f"电脑{i}") for i in range(20)]

    saved = await asyncio.gather(*(cards.register(CLI_ACTOR, Scope.EVERYTHING, d) for d in details))

    numbers = [s["asset_no"] for s in saved]
    assert len(set(numbers)) == 20
    for asset in await Asset.filter(id__in=[s["id"] for s in saved]):
        assert asset.asset_no == f"ZC{asset.id:08d}"
