"""Who is inside: the page per building with overstays marked, the evacuation list of one
building, the .xlsx export with no ID number, phone or full name in it, the dashboard card."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from backend.access.models import Visit
from backend.access.pages.inside import dashboard_card
from backend.core.timeutil import now, today
from tests.fixtures.access_g import VISITOR_ID_NUMBER, VISITOR_PHONE
from tests.helpers import console_admin

VIEWER = ["access.view_access"]


async def test_inside_page_lists_visitors_staff_and_overstays_per_building(client, access_world, guard_desk):
    on_time = await guard_desk.walk_in("李四", confirmed=True)
    late = await guard_desk.walk_in("王小明", confirmed=True)
    await Visit.filter(id=late).update(window_end=now() - timedelta(minutes=10))
    await guard_desk.inside(on_time, people=2)
    await guard_desk.inside(late, people=1)
    await guard_desk.staff_inside()
    await console_admin(client, "viewer", VIEWER)
    shown = await client.get("/console/access/inside")
    assert shown.status_code == 200
    assert "行政中心A座" in shown.text and "超时未离开" in shown.text and "李*" in shown.text and "张*" in shown.text
    assert "李四" not in shown.text
    evacuation = await client.get(f"/console/access/inside/{access_world.building_id}/evacuation")
    assert evacuation.status_code == 200 and "行政中心A座 疏散名单" in evacuation.text
    assert "访客 3 人" in evacuation.text and "职工 1 人" in evacuation.text
    card = await dashboard_card(None, today())
    assert card["visitors"] == 3 and card["overstays"] == 1 and card["alerting"]


async def test_inside_export_is_masked(client, access_world, guard_desk):
    visit_id = await guard_desk.walk_in("李四", confirmed=True)
    await guard_desk.inside(visit_id)
    await console_admin(client, "viewer", VIEWER)
    answer = await client.get(f"/console/access/inside/export.xlsx?building={access_world.building_id}")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert "李*" in cells and "访客" in cells
    text = " ".join(cells)
    assert VISITOR_ID_NUMBER not in text and VISITOR_PHONE not in text and "李四" not in text and "浙A12345" not in text


async def test_inside_pages_refused_without_access_permission(client, access_world):
    await console_admin(client, "nobody", ["charging.view_charging"])
    assert (await client.get("/console/access/inside")).status_code == 403
    assert (await client.get("/console/access/inside/export.xlsx")).status_code == 403
