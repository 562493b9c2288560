"""Importing readings from Excel: the template's header, a good sheet stored and derived at once,
a sheet with any bad cell refused whole with every problem by line and column, a dry run that
writes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.energy.models import Grain, Reading, ReadingSource
from backend.energy.service import reading_import, readings
from tests.fixtures.energy import at, grain_totals
from tests.helpers import make_admin


@pytest.fixture
async def reader(energy_world) -> Actor:
    admin = await make_admin("importer", ["energy.manage_meters"])
    return Actor(admin_id=admin["id"], name="抄表员")


def sheet(*rows: tuple, header: tuple = ("表号", "抄表时间", "读数")) -> bytes:
    book = Workbook()
    book.active.append(list(header))
    for row in rows:
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def naive(hours: float):
    return at(hours).replace(tzinfo=None)


async def test_the_template_is_an_empty_sheet_with_the_three_columns():
    book = load_workbook(io.BytesIO(reading_import.import_template()))
    assert [list(row) for row in book.active.iter_rows(values_only=True)] == [["表号", "抄表时间", "读数"]]


async def test_a_good_sheet_is_stored_and_derived(energy_world, reader):
    content = sheet(
        ("W-FGW-01", naive(8), 100),
        ("W-FGW-01", f"{at(20):%Y-%m-%d %H:%M}", "112.5"),
        ("E-CZJ-01", naive(8), 2.25),
        (None, None, None),
        ("E-CZJ-01", f"{at(9):%Y/%m/%d %H:%M}", "3.5"),
    )
    report = await reading_import.import_readings(reader, "二月抄表.xlsx", content, dry_run=False)
    assert (report["total"], report["meters"], report["applied"]) == (4, 2, True)
    assert await grain_totals(energy_world.fgw_water.id) == dict.fromkeys(Grain, 12_500)
    assert (await grain_totals(energy_world.czj_power.id))[Grain.MONTH] == 1_250
    sources = await Reading.all().values_list("source", "entered_by_id")
    assert set(sources) == {(ReadingSource.IMPORT, reader.admin_id)}
    assert await AuditEntry.filter(action="energy.import_readings", object_id="二月抄表.xlsx").count() == 1


async def test_a_dry_run_checks_and_writes_nothing(energy_world, reader):
    content = sheet(("W-FGW-01", naive(8), 100))
    report = await reading_import.import_readings(reader, "x.xlsx", content, dry_run=True)
    assert (report["total"], report["applied"]) == (1, False)
    assert await Reading.all().count() == 0


async def test_a_sheet_with_bad_cells_is_refused_whole_with_each_problem(energy_world, reader):
    await readings.record_manual(reader, energy_world.fgw_water.id, at(7), "90")
    content = sheet(
        ("W-FGW-01", naive(8), 100),
        ("NOPE-1", naive(8), 100),
        ("W-FGW-01", "昨天", 100),
        ("W-FGW-01", naive(9), -3),
        ("W-FGW-01", naive(8), 101),
        ("W-FGW-01", (now() + timedelta(days=1)).replace(tzinfo=None), 1),
        ("", naive(10), "1.2345"),
        ("W-FGW-01", naive(7), 95),
    )
    with pytest.raises(AppError) as refused:
        await reading_import.import_readings(reader, "bad.xlsx", content, dry_run=False)
    assert refused.value.code == "energy.import_invalid"
    problems = [(p["line"], p["column"], p["message"]) for p in refused.value.details["problems"]]
    assert [(line, column) for line, column, _ in problems] == [
        (3, "表号"),
        (4, "抄表时间"),
        (5, "读数"),
        (6, "抄表时间"),
        (7, "抄表时间"),
        (8, "表号"),
        (8, "读数"),
        (9, "抄表时间"),
    ]
    assert "未登记" in problems[0][2] and "第 2 行" in problems[3][2] and "已有读数" in problems[-1][2]
    assert await Reading.all().count() == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"not a workbook", "不是有效的 Excel"),
        (b"PK\x03\x04broken", "已损坏"),
        (sheet(header=("表号", "读数")), "表头缺少列：抄表时间"),
        (sheet(), "没有读数"),
    ],
)
async def test_a_file_that_is_no_readings_sheet_is_refused(energy_world, reader, content, words):
    with pytest.raises(AppError) as refused:
        await reading_import.import_readings(reader, "x.xlsx", content, dry_run=False)
    assert refused.value.code == "energy.import_invalid" and words in refused.value.message
