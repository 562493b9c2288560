"""The assets reports: value, accumulated depreciation and net value by unit and by top class,
this month's and this year's depreciation and the idle rate, as of a day, within the admin's
units; the report page with its charts and Excel export, and the dashboard card."""

from __future__ import annotations

import io
from datetime import date

import openpyxl

from backend.accounts.service import people
from backend.assets.models import Asset, AssetStatus, RequestKind, WarehouseRequest
from backend.assets.service import reports
from backend.core.permissions import Scope
from backend.core.timeutil import now
from tests.helpers import console_admin

ON = date(2026, 12, 7)


def _figures(line: dict) -> tuple:
    return (
        line["count"],
        line["original_fen"],
        line["accumulated_fen"],
        line["net_fen"],
        line["month_fen"],
        line["year_fen"],
        line["idle"],
    )


async def test_the_summary_adds_up_each_cards_straight_line_depreciation(assets_world):
    report = await reports.summary(Scope.EVERYTHING, ON)
    # pc ¥6,000 over 72 months from 2024-03: 34 months, 283,333 fen; this month 8,333, this year 100,000
    # desk ¥2,000 over 180 from 2020-06: 79 months 87,777; 1,111; 13,333
    # chair ¥800 over 180 from 2021-09: 64 months 28,444; 444; 5,333
    # table ¥4,500 over 180 from 2022-01 (in the 公物仓): 60 months 150,000; 2,500; 30,000
    assert _figures(report["total"]) == (4, 1_330_000, 549_554, 780_446, 12_388, 148_666, 1)
    assert report["total"]["idle_rate"] == 0.25
    assert [(x["name"], _figures(x)) for x in report["units"]] == [
        ("市发展和改革委员会·办公室", (2, 800_000, 371_110, 428_890, 9_444, 113_333, 0)),
        ("市发展和改革委员会·发展规划处", (1, 450_000, 150_000, 300_000, 2_500, 30_000, 1)),
        ("市财政局·办公室", (1, 80_000, 28_444, 51_556, 444, 5_333, 0)),
    ]
    assert [(x["name"], x["original_fen"], x["count"]) for x in report["classes"]] == [
        ("A05 家具和用具", 730_000, 3),
        ("A02 设备", 600_000, 1),
    ]


async def test_disposed_cards_are_left_out_and_idle_ones_counted(assets_world):
    await Asset.filter(id=assets_world.assets["desk"].id).update(status=AssetStatus.DISPOSED)
    await Asset.filter(id=assets_world.assets["chair"].id).update(status=AssetStatus.IDLE)
    total = (await reports.summary(Scope.EVERYTHING, ON))["total"]
    assert (total["count"], total["original_fen"], total["idle"], total["idle_rate"]) == (3, 1_130_000, 2, 0.6667)
    assert await reports.dashboard_counts(Scope.EVERYTHING) == {"total": 3, "idle": 2, "idle_rate": 0.6667}


async def test_an_admin_over_a_unit_sees_only_its_subtree(assets_world):
    czj = await people.unit_by_code("CZJ")
    report = await reports.summary(Scope.units([czj.path]), ON)
    assert [x["name"] for x in report["units"]] == ["市财政局·办公室"]
    assert report["total"]["original_fen"] == 80_000
    assert (await reports.dashboard_counts(Scope.units([czj.path])))["total"] == 1


async def test_nothing_to_report_gives_zeros(app):
    report = await reports.summary(Scope.EVERYTHING, ON)
    assert report["units"] == [] and report["classes"] == [] and report["total"]["idle_rate"] == 0.0


async def test_the_report_page_and_its_export_for_a_viewer_and_no_one_else(client, assets_world):
    await console_admin(client, "fleet", ["fleet.view_fleet"])
    for path in ("/console/assets/reports", "/console/assets/reports/summary.xlsx"):
        assert (await client.get(path)).status_code == 403
    await console_admin(client, "viewer", ["assets.view_report"])
    page = await client.get("/console/assets/reports?on=2026-12-07")
    assert page.status_code == 200
    for shown in ('data-testid="units-chart"', 'data-testid="classes-chart"', "13,300.00", "7,804.46", "25.0%"):
        assert shown in page.text, shown
    assert 'value="2026-12-07"' in page.text
    future = await client.get("/console/assets/reports?on=2999-01-01")
    assert future.status_code == 200 and 'value="2999-01-01"' not in future.text
    export = await client.get("/console/assets/reports/summary.xlsx?on=2026-12-07")
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["按单位", "按分类"]
    cells = [[c.value for c in row] for row in book["按单位"].iter_rows()]
    assert ["单位", "资产数", "原值（元）"] == cells[1][:3]
    assert cells[2][:3] == ["市发展和改革委员会·办公室", 2, 8000]
    assert cells[-1][0] == "合计" and cells[-1][-1] == "25.0%"


async def test_the_dashboard_card_counts_the_admins_assets(client, assets_world):
    await console_admin(client, "czj", ["assets.view_assets"], unit_code="CZJ")
    dashboard = await client.get("/console/")
    assert 'data-testid="assets-card"' in dashboard.text
    assert 'data-testid="assets-total">1<' in dashboard.text and 'data-testid="assets-idle">0<' in dashboard.text
    assert 'data-testid="assets-pending"' not in dashboard.text


async def test_the_dashboard_card_shows_the_warehouse_keeper_the_requests_awaiting_approval(client, assets_world):
    await WarehouseRequest.create(
        request_no="GC00000001",
        entry=assets_world.table_entry,
        asset=assets_world.assets["table"],
        unit_id=assets_world.units["CZJ-BGS"],
        requester_id=assets_world.people["D0003"],
        kind=RequestKind.ALLOCATE,
        purpose="会议室添置",
        client_ref="dashboard-test-1",
        created_at=now(),
    )
    await console_admin(client, "keeper", ["assets.view_assets", "assets.run_warehouse"])
    dashboard = await client.get("/console/")
    assert 'data-testid="assets-pending">1<' in dashboard.text


async def test_a_fully_depreciated_card_adds_nothing_to_this_months_or_this_years_depreciation(assets_world):
    # the desk, ¥2,000 over 180 months from 2010-03, was fully depreciated in 2025-02
    await Asset.filter(id=assets_world.assets["desk"].id).update(purchase_date=date(2010, 3, 1))
    total = (await reports.summary(Scope.EVERYTHING, ON))["total"]
    # the other three as above: this month 8,333 + 444 + 2,500, this year 100,000 + 5,333 + 30,000
    assert (total["month_fen"], total["year_fen"]) == (11_277, 135_333)
    assert total["accumulated_fen"] == 283_333 + 200_000 + 28_444 + 150_000
