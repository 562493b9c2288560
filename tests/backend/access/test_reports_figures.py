"""The access report over a small known log: visits per host unit, arrivals per hour, the daily
peak of people inside replayed from the entries and exits, entries per gate and refusals by
reason; a range backwards or longer than a year is refused; the page draws its charts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from backend.access.service import reports
from backend.core.errors import AppError
from tests.helpers import console_admin


async def test_the_report_figures_of_a_known_day(access_log):
    day = access_log.day
    report = await reports.report(day - timedelta(days=1), day)
    assert report["visits"] == 2 and report["visitors"] == 3
    assert [(u["unit"], u["visits"]) for u in report["units"]] == [(report["units"][0]["unit"], 2)]
    assert {h["hour"]: h["people"] for h in report["hours"] if h["people"]} == {9: 2, 10: 1}
    first, second = report["peaks"]
    assert first == {"day": day - timedelta(days=1), "people": 0, "at": None, "buildings": {}}
    # 李四's party of two, the host, then 王五五: four inside at 10:05 (cars do not count).
    assert second["people"] == 4 and second["at"] == "10:05" and list(second["buildings"].values()) == [4]
    assert [(g["gate"], g["entries"], g["refused"]) for g in report["gates"]] == [
        ("A座东门进", 3, 1),
        ("A座车库入口", 1, 1),
    ]
    assert sorted((r["reason"], r["count"]) for r in report["refusals"]) == [
        ("未登记车辆，请等候门岗处理", 1),
        ("通行证已过期", 1),
    ]


@pytest.mark.parametrize("days", [-1, reports.MAX_DAYS])
async def test_a_range_backwards_or_over_a_year_is_refused(access_world, days):
    start = date(2026, 1, 1)
    with pytest.raises(AppError) as refused:
        await reports.report(start, start + timedelta(days=days))
    assert refused.value.code == "access.report_range_invalid"


async def test_the_report_page_draws_its_charts_for_whoever_may_see_reports(client, access_log):
    await console_admin(client, "other", ["access.view_access"])
    assert (await client.get("/console/access/reports")).status_code == 403
    await console_admin(client, "reporter", ["access.view_report"])
    day = access_log.day.isoformat()
    text = (await client.get(f"/console/access/reports?since={day}&until={day}")).text
    for chart in ("hours-chart", "peaks-chart", "units-chart"):
        assert f'data-testid="{chart}"' in text, chart
    assert "9时：2 人次" in text and 'data-testid="top-peak">4 ' in text
