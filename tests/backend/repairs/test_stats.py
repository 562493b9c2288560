"""Repair statistics: counts, mean and nearest-rank p90 of the working hours to accept and to
resolve, and satisfaction, by category, building, team and technician for the reports filed in
the period."""

import html
import io
import json
import re
import secrets
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from backend.accounts.models import Person
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ
from backend.repairs.service import catalog, stats
from backend.repairs.service import reports as service
from backend.repairs.service.reports import Who
from tests.helpers import console_admin

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
DISPATCHER = Who("admin", None, "调度")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026 (the 2nd is a Monday; working hours 08:30–12:00, 13:30–17:30)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=BUSINESS_TZ)


async def _file(reporter: Who, category: int, location: int | None, when: datetime) -> int:
    filed, _ = await service.submit(
        reporter, secrets.token_hex(8), category, location, "" if location else "东门岗亭", "漏水", [], when
    )
    return filed["id"]


async def _repaired(
    reporter: Who, technician: Who, report_id: int, accepted: datetime | None, resolved: datetime, rating: int
) -> None:
    if accepted:
        await service.assign(DISPATCHER, report_id, technician.id, accepted)
    await service.start(technician, report_id, resolved)
    await service.resolve(technician, report_id, "已修好", [], [], resolved)
    await service.confirm(reporter, report_id, rating, "", resolved)


@pytest.fixture
async def november(repairs_world):
    """Five reports filed in November (business time), and one either side of it (not counted)."""
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)
    technician = await Who.of_cadre((await Person.get(employee_no="D0004")).id)
    other = (await catalog.save_category(CLI_ACTOR, "other", "其他", None, Decimal(4), Decimal(40), False))["id"]
    # accepted after 1 working hour, resolved after 4.5 (3 before lunch, 1.5 after), rated 5
    first = await _file(reporter, repairs_world.water, repairs_world.room, at(2, 9))
    await _repaired(reporter, technician, first, at(2, 10), at(2, 15), 5)
    # accepted after 3 (the lunch break does not count), resolved the next morning after 8, rated 3
    second = await _file(reporter, repairs_world.water, None, at(2, 9))
    await _repaired(reporter, technician, second, at(2, 13, 30), at(3, 9, 30), 3)
    # lighting assigns itself on submission: accepted after 0 hours, still open
    await _file(reporter, repairs_world.lighting, repairs_world.room, at(3, 10))
    rejected = await _file(reporter, repairs_world.water, repairs_world.room, at(4, 10))
    await service.close_without_repair(DISPATCHER, rejected, "reject", "不属于维修范围", at(4, 11))
    await _file(reporter, other, None, at(5, 10))  # a category with no team, not yet assigned
    await _file(reporter, repairs_world.water, repairs_world.room, datetime(2026, 10, 31, 23, 59, tzinfo=BUSINESS_TZ))
    await _file(reporter, repairs_world.water, repairs_world.room, datetime(2026, 12, 1, 0, 0, tzinfo=BUSINESS_TZ))


def _numbers(row: dict) -> tuple:
    return (
        row["reports"],
        row["closed"],
        row["accept_avg"],
        row["accept_p90"],
        row["resolve_avg"],
        row["resolve_p90"],
        row["rating_avg"],
        row["rated"],
    )


def test_p90_is_the_nearest_rank():
    assert stats.p90([]) is None
    assert stats.p90([5.0]) == 5.0
    assert stats.p90([3.0, 1.0]) == 3.0
    assert stats.p90([float(i) for i in range(1, 11)]) == 9.0  # the 9th of 10
    assert stats.p90([float(i) for i in range(1, 12)]) == 10.0  # the 10th of 11: ⌈9.9⌉


async def test_overall_counts_hours_and_ratings_of_the_reports_filed_in_the_period(november):
    overall = (await stats.report_stats(*NOVEMBER))["overall"]
    assert _numbers(overall) == (5, 2, pytest.approx(4 / 3), 3.0, 6.25, 8.0, 4.0, 2)


async def test_by_category(november):
    by_category = {row["name"]: _numbers(row) for row in (await stats.report_stats(*NOVEMBER))["by"]["category"]}
    assert by_category == {
        "水电": (3, 2, 2.0, 3.0, 6.25, 8.0, 4.0, 2),
        "照明": (1, 0, 0.0, 0.0, None, None, None, 0),
        "其他": (1, 0, None, None, None, None, None, 0),
    }


async def test_by_building_team_and_technician(november):
    by = (await stats.report_stats(*NOVEMBER))["by"]
    assert [(row["name"], row["reports"], row["closed"], row["accept_avg"]) for row in by["building"]] == [
        ("市民中心A座", 3, 1, 0.5),
        ("未选地点", 2, 1, 3.0),
    ]
    assert [(row["name"], row["reports"]) for row in by["team"]] == [("水电班", 4), ("未分派班组", 1)]
    assert [(row["name"], _numbers(row)) for row in by["technician"]] == [
        ("刘洋（D0004）", (3, 2, pytest.approx(4 / 3), 3.0, 6.25, 8.0, 4.0, 2)),
        ("未派工", (2, 0, None, None, None, None, None, 0)),
    ]


async def test_a_period_without_reports_has_empty_groups(repairs_world):
    result = await stats.report_stats(date(2025, 1, 1), date(2025, 1, 31))
    assert result["overall"]["reports"] == 0 and result["overall"]["accept_avg"] is None
    assert result["by"] == {"category": [], "building": [], "team": [], "technician": []}


# ---- the console page --------------------------------------------------------------------------

PERIOD = "since=2026-11-01&until=2026-11-30"


async def test_the_stats_page_shows_each_grouping_with_hours_to_one_decimal(client, november):
    await console_admin(client, "viewer", ["repairs.view_report"])
    page = await client.get(f"/console/repairs/stats?{PERIOD}")
    assert page.status_code == 200 and 'data-testid="stats-reports">5<' in page.text
    water = re.search(r"<tr><td>水电</td>(.*?)</tr>", page.text).group(1)
    assert re.findall(r'<td class="num">([^<]*)</td>', water) == ["3", "2", "2.0", "3.0", "6.2", "8.0", "4.0", "2"]
    assert "照明" in page.text and 'data-chart="repairs-stats"' in page.text
    chart = json.loads(html.unescape(re.search(r'data-series="([^"]*)"', page.text).group(1)))
    assert chart["names"] == ["水电", "其他", "照明"] and chart["reports"] == [3, 1, 1]
    by_technician = await client.get(f"/console/repairs/stats?by=technician&{PERIOD}")
    assert "<td>刘洋（D0004）</td>" in by_technician.text and "<td>未派工</td>" in by_technician.text


async def test_the_stats_export_holds_the_table_with_its_total(client, november):
    await console_admin(client, "viewer", ["repairs.view_report"])
    response = await client.get(f"/console/repairs/stats/export.xlsx?by=category&{PERIOD}")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == (
        "类别",
        "报修数",
        "已完结",
        "平均受理（小时）",
        "P90 受理（小时）",
        "平均修复（小时）",
        "P90 修复（小时）",
        "满意度（平均分）",
        "评价数",
    )
    assert rows[1] == ("水电", 3, 2, 2.0, 3.0, 6.2, 8.0, 4.0, 2)
    assert rows[-1] == ("合计", 5, 2, 1.3, 3.0, 6.2, 8.0, 4.0, 2)


async def test_a_malformed_or_too_long_period_falls_back(client, repairs_world):
    await console_admin(client, "viewer", ["repairs.view_report"])
    broken = await client.get("/console/repairs/stats?since=yesterday&until=2026-13-01&by=nope")
    assert broken.status_code == 200 and "按类别统计" in broken.text and "这段时间没有报修单" in broken.text
    long = await client.get("/console/repairs/stats?since=2020-01-01&until=2026-11-30")
    assert "统计区间最长一年，已按截止日期取 2025-11-30 起" in long.text
    far = await client.get("/console/repairs/stats?until=9999-12-31")
    assert far.status_code == 200 and "按类别统计" in far.text
    board = await client.get("/console/repairs/?until=9999-12-31")
    assert board.status_code == 200


async def test_statistics_need_the_permission_to_see_reports(client, repairs_world):
    await console_admin(client, "canteen", ["canteen.view_payment"])
    assert (await client.get("/console/repairs/stats")).status_code == 403
    assert (await client.get("/console/repairs/stats/export.xlsx")).status_code == 403
