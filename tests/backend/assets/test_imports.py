"""Importing an asset register from Excel: a good file registers every card numbered from the
sequence with its history; a file with bad cells names each by line and column and writes
nothing; a dry run checks without writing."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from backend.accounts.models import Person, Unit
from backend.assets.models import Asset, AssetCategory, AssetMove, AssetStatus, MoveReason
from backend.assets.service import cards, imports
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import today
from backend.places import service as places
from backend.places.models import Place
from tests.helpers.assets_import import GOOD, HEADER
from tests.helpers.assets_import import register_xlsx as _xlsx


async def _refused(content: bytes, scope: Scope = Scope.EVERYTHING) -> AppError:
    with pytest.raises(AppError) as refused:
        await imports.import_assets(CLI_ACTOR, scope, "资产.xlsx", content, dry_run=False)
    return refused.value


async def test_a_good_file_registers_every_card_numbered_in_file_order_with_its_history(assets_world):
    report = await imports.import_assets(CLI_ACTOR, Scope.EVERYTHING, "资产.xlsx", _xlsx(GOOD), dry_run=False)

    added = await Asset.filter(id__gt=assets_world.assets["table"].id).order_by("id")
    assert [a.name for a in added] == ["打印机", "文件柜", "捐赠书架"]
    assert all(a.asset_no == f"ZC{a.id:08d}" for a in added)
    assert report == {"total": 3, "applied": True, "first_no": added[0].asset_no, "last_no": added[-1].asset_no}
    printer, cabinet, shelf = added
    assert printer.original_value_fen == 230050 and printer.useful_life_months == 72
    assert printer.place_id == assets_world.places["301"] and printer.custodian_id == assets_world.people["D0001"]
    assert cabinet.status is AssetStatus.IDLE and cabinet.useful_life_months == 120
    assert cabinet.place_id == assets_world.places["302"] and shelf.place_id is None
    moves = await AssetMove.filter(asset_id__in=[a.id for a in added])
    assert len(moves) == 3 and {m.reason for m in moves} == {MoveReason.REGISTERED}
    assert await AuditEntry.filter(action="assets.import_assets").count() == 1


async def test_a_room_may_be_named_by_its_place_id(assets_world):
    row = [*GOOD[0][:4], str(assets_world.places["303"]), *GOOD[0][5:]]

    await imports.import_assets(CLI_ACTOR, Scope.EVERYTHING, "a.xlsx", _xlsx([row]), dry_run=False)

    assert await Asset.filter(name="打印机", place_id=assets_world.places["303"]).exists()


async def test_every_bad_cell_is_named_by_line_and_column_and_nothing_is_written(assets_world):
    future = (today() + timedelta(days=3)).isoformat()
    rows = [
        GOOD[0],
        ["", "Z99", "", "NOPE", "A座 3楼", "X9999", "-5", future, "700", "报废", ""],
        ["椅子", "A050105", "", "FGW-BGS", "A座 9楼 999", "", "12.345", "去年", "", "", ""],
        ["零值椅", "A050105", "", "FGW-BGS", "", "", "0", "2020-01-01", "", "", ""],
    ]

    refused = await _refused(_xlsx(rows))

    assert refused.code == "assets.import_invalid" and "未导入" in refused.message
    problems = {(p["line"], p["column"]) for p in refused.details["problems"]}
    assert problems == {
        (3, "资产名称"),
        (3, "分类编码"),
        (3, "单位编码"),
        (3, "房间"),
        (3, "使用人工号"),
        (3, "原值（元）"),
        (3, "购置日期"),
        (3, "使用年限（月）"),
        (3, "状态"),
        (4, "房间"),
        (4, "原值（元）"),
        (4, "购置日期"),
        (5, "原值（元）"),
    }
    room = next(p for p in refused.details["problems"] if p["line"] == 3 and p["column"] == "房间")
    assert "不是房间" in room["message"]
    assert await Asset.all().count() == 4 and not await AuditEntry.filter(action="assets.import_assets").exists()


async def test_a_unit_outside_the_importers_scope_is_a_problem_of_its_row(assets_world):
    fgw = Scope.units(["/SJGSW/FGW/"])

    refused = await _refused(_xlsx(GOOD), fgw)

    assert {p["line"] for p in refused.details["problems"]} == {3, 4}
    assert "管理范围" in refused.details["problems"][0]["message"]


async def test_a_dry_run_checks_the_file_and_writes_nothing(assets_world):
    report = await imports.import_assets(CLI_ACTOR, Scope.EVERYTHING, "a.xlsx", _xlsx(GOOD), dry_run=True)

    assert report["total"] == 3 and report["applied"] is False
    assert await Asset.all().count() == 4


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"name,value\n1,2\n", "不是有效的 Excel"),
        (b"PK\x03\x04 broken", "已损坏"),
        (_xlsx([["打印机"]], header=["资产名称", "备注"]), "表头缺少列"),
        (_xlsx([]), "没有资产"),
    ],
)
async def test_a_file_that_cannot_be_read_is_refused_as_a_whole(assets_world, content, says):
    refused = await _refused(content)

    assert refused.code == "assets.import_unreadable" and says in refused.message


async def test_the_template_has_the_columns_the_importer_reads(assets_world):
    sheet = load_workbook(io.BytesIO(await imports.template_workbook())).active

    assert [c.value for c in sheet[1]] == HEADER


async def test_cards_imported_on_postgresql_take_their_numbers_from_the_sequence(assets_world, requires_postgres):
    report = await imports.import_assets(CLI_ACTOR, Scope.EVERYTHING, "a.xlsx", _xlsx(GOOD * 40), dry_run=False)

    after = await cards.register(
        CLI_ACTOR,
        Scope.EVERYTHING,
        cards.CardDetails(
            name="后登记",
            category_id=assets_world.categories["A020101"].id,
            unit_id=assets_world.units["FGW-BGS"],
            original_value_fen=100,
            purchase_date=date(2024, 1, 1),
        ),
    )

    assert report["total"] == 120
    numbers = await Asset.all().values_list("asset_no", flat=True)
    assert len(set(numbers)) == len(numbers) == 125
    assert after["asset_no"] > report["last_no"]


async def test_a_room_name_shared_by_two_rooms_is_ambiguous_on_its_row(assets_world):
    floor = await places.create_place(CLI_ACTOR, "3楼", assets_world.places["A座"])
    twin = await places.create_place(CLI_ACTOR, "301", floor["id"])  # a second "A座 3楼 301"

    refused = await _refused(_xlsx(GOOD))

    [problem] = refused.details["problems"]
    assert (problem["line"], problem["column"]) == (2, "房间") and "同名" in problem["message"]
    by_id = [*GOOD[0][:4], str(twin["id"]), *GOOD[0][5:]]
    await imports.import_assets(CLI_ACTOR, Scope.EVERYTHING, "a.xlsx", _xlsx([by_id]), dry_run=False)
    assert await Asset.filter(name="打印机", place_id=twin["id"]).exists()


@pytest.mark.parametrize("change", ["unit disabled", "room deactivated", "custodian left", "class disabled"])
async def test_a_unit_room_person_or_class_changed_while_the_file_was_read_refuses_it(
    assets_world, monkeypatch, change
):
    checked = imports._lookups

    async def lookups_then_change(scope):
        found = await checked(scope)
        if change == "unit disabled":
            await Unit.filter(code="CZJ-BGS").update(is_enabled=False)
        elif change == "room deactivated":
            await Place.filter(id=assets_world.places["302"]).update(is_active=False)
        elif change == "custodian left":
            await Person.filter(id=assets_world.people["D0001"]).update(is_active=False)
        else:
            await AssetCategory.filter(code="A050103").update(is_active=False)
        return found

    monkeypatch.setattr(imports, "_lookups", lookups_then_change)

    refused = await _refused(_xlsx(GOOD))

    assert refused.code == "assets.import_changed" and "未导入" in refused.message
    assert await Asset.all().count() == 4 and not await AuditEntry.filter(action="assets.import_assets").exists()
