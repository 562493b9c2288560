"""The access log page: filters by gate, result, subject, source, days and a masked name or plate;
names and plates are masked on the page and in the export, and a refusal reads in words."""

from __future__ import annotations

import io
import re

import openpyxl

from tests.helpers import console_admin


def _events(text: str) -> int:
    return len(re.findall(r'<span class="badge badge-(?:ok|bad)">(?:放行|拒绝)</span>', text))


async def test_the_log_is_refused_without_permission(client, access_log):
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in ("/console/access/log", "/console/access/log/export.xlsx"):
        assert (await client.get(path)).status_code == 403, path


async def test_the_log_opens_on_today_and_filters_the_chosen_days(client, access_log, access_world):
    await console_admin(client, "viewer", ["access.view_access"])
    assert _events((await client.get("/console/access/log")).text) == 0  # all of it was two days ago
    day = access_log.day.isoformat()
    every = (await client.get(f"/console/access/log?since={day}&until={day}")).text
    assert _events(every) == 7
    assert "李*" in every and "李四" not in every and "王**" in every and "张*" in every and "张伟" not in every
    assert "通行证已过期" in every and "access.pass_expired" not in every
    cases = {
        "allowed=0": 2,
        f"gate={access_world.car_gate.id}": 2,
        f"building={access_world.building_id}": 7,
        f"building={access_world.other_building_id}": 0,
        "subject=visitor": 4,
        "source=camera": 2,
        "q=李*": 2,
        "q=王": 2,
        "q=浙A***45": 1,
        "q=张": 1,
    }
    for query, count in cases.items():
        assert _events((await client.get(f"/console/access/log?since={day}&until={day}&{query}")).text) == count, query


async def test_the_export_is_masked_and_gives_reasons_in_words(client, access_log):
    await console_admin(client, "viewer", ["access.view_access"])
    day = access_log.day.isoformat()
    answer = await client.get(f"/console/access/log/export.xlsx?since={day}&until={day}&allowed=0")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:3] == ["时间", "门禁点", "楼宇"] and len(rows) == 3
    text = str(rows)
    assert "未登记车辆，请等候门岗处理" in text and "通行证已过期" in text and "access." not in text
    assert "浙A***45" in text and "王**" in text and "王五五" not in text
