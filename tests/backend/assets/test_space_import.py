"""Excel import of an existing office-space register: missing places are created, facts and
occupants set; a file with bad rows names each row and column and changes nothing."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook

from backend.assets.service import space_import
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.places import service as places
from backend.places.models import Place, PlaceOccupant, RoomFacts
from tests.helpers import console_admin

HEADER = list(space_import.COLUMNS)
TODAY = date(2026, 12, 7)


def _xlsx(*rows) -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_good_register_creates_rooms_sets_facts_and_occupants(assets_world):
    content = _xlsx(
        ("B座", "2楼", "201", "24.5", "31", "办公室", "FGW-GHC", "D0002", "局级副职"),
        ("B座", "2楼", "201", "24.5", "31", "办公室", "FGW-GHC", "D0005", "局级以下"),
        ("A座", "3楼", "303", 20, "", "服务用房", "CZJ-BGS", "", ""),
    )
    result = await space_import.import_register(CLI_ACTOR, content, TODAY)
    assert (result.written, result.rooms, result.rooms_created, result.occupants) == (True, 2, 1, 2)
    b201 = await Place.get(full_name="B座 2楼 201")
    facts = await RoomFacts.get(place_id=b201.id)
    assert (facts.use_area_hundredths, facts.building_area_hundredths) == (2450, 3100)
    assert await PlaceOccupant.filter(place_id=b201.id).count() == 2
    a303 = (await places.room_facts([assets_world.places["303"]]))[assets_world.places["303"]]
    assert (a303["use"], a303["unit_id"]) == ("service", assets_world.units["CZJ-BGS"])


async def test_bad_rows_are_named_by_row_and_column_and_nothing_is_written(assets_world):
    places_before = await Place.all().count()
    content = _xlsx(
        ("C座", "1楼", "101", "20", "", "办公室", "FGW", "D0005", "局级以下"),  # good
        ("C座", "1楼", "102", "-3", "", "办公室", "FGW", "", ""),
        ("C座", "1楼", "103", "12", "10", "仓库", "NOPE", "", ""),
        ("C座", "1楼", "104", "12", "", "办公室", "FGW", "Z9999", "局级以下"),
        ("C座", "1楼", "105", "12", "", "办公室", "FGW", "D0002", ""),
    )
    result = await space_import.import_register(CLI_ACTOR, content, TODAY)
    problems = [(p.line, p.column) for p in result.problems]
    assert problems == [
        (3, "使用面积"),
        (4, "建筑面积"),
        (4, "用途"),
        (4, "单位编码"),
        (5, "使用人工号"),
        (6, "职级"),
    ]
    assert not result.written
    assert await Place.all().count() == places_before


async def test_a_dry_run_checks_without_writing(assets_world):
    content = _xlsx(("D座", "1楼", "101", "20", "", "办公室", "FGW", "", ""))
    result = await space_import.import_register(CLI_ACTOR, content, TODAY, dry_run=True)
    assert (result.written, result.rooms, result.problems) == (False, 1, [])
    assert not await Place.filter(name="D座").exists()


async def test_a_file_that_is_not_a_workbook_is_refused(assets_world):
    with pytest.raises(AppError) as refused:
        await space_import.import_register(CLI_ACTOR, b"not a workbook", TODAY)
    assert refused.value.code == "assets.import_file"


async def test_the_import_page_shows_the_problems(client, assets_world):
    csrf = await console_admin(client, "staff", ["assets.view_space", "assets.manage_space"])
    content = _xlsx(("C座", "1楼", "102", "0", "", "办公室", "FGW", "", ""))
    answer = await client.post(
        "/console/assets/space/import",
        data={"csrf_token": csrf},
        files={"file": ("register.xlsx", content, "application/octet-stream")},
    )
    assert answer.status_code == 422 and "使用面积" in answer.text and "未导入任何数据" in answer.text
    template = await client.get("/console/assets/space/import/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"


async def test_a_register_giving_someone_two_offices_is_refused_by_row(assets_world):
    content = _xlsx(
        ("E座", "1楼", "101", "20", "", "办公室", "FGW", "D0005", "局级正职"),
        ("E座", "1楼", "102", "20", "", "服务用房", "FGW", "D0005", "局级正职"),  # not an office: fine
        ("E座", "1楼", "103", "24", "", "办公室", "FGW", "D0005", "局级正职"),
        # 张伟 works in office A座 3楼 301, which this file leaves as it is
        ("E座", "1楼", "104", "24", "", "办公室", "FGW-BGS", "D0001", "局级以下"),
    )
    result = await space_import.import_register(CLI_ACTOR, content, TODAY)
    assert not result.written
    assert [(p.line, p.column) for p in result.problems] == [(4, "使用人工号"), (5, "使用人工号")]
    assert "第 2 行" in result.problems[0].message and "A座 3楼 301" in result.problems[1].message
    assert not await Place.filter(name="E座").exists()


async def test_a_register_may_move_someone_between_two_offices_it_lists(assets_world):
    w = assets_world
    content = _xlsx(
        ("A座", "3楼", "303", "20", "", "办公室", "FGW-BGS", "D0001", "局级以下"),
        ("A座", "3楼", "301", "18", "", "办公室", "FGW-BGS", "", ""),
    )
    result = await space_import.import_register(CLI_ACTOR, content, TODAY)
    assert result.written, result.problems
    occupied = await PlaceOccupant.filter(person_id=w.people["D0001"]).values_list("place_id", flat=True)
    assert occupied == [w.places["303"]]
