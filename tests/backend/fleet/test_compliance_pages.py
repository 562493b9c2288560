"""The compliance pages over HTTP: the flags list with its filter, export and closing; sealing
with its calendar and report; the geofence form; the trip page's track and GPX upload; and who
may do what."""

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.fleet.models import ComplianceFlag, FlagState, Position, TripState
from backend.fleet.service import compliance
from tests.fixtures.fleet import MONDAY, make_request, make_trip
from tests.helpers import console_admin
from tests.helpers.gpx import drive, gpx

VIEWER = ["fleet.view_fleet"]
REVIEWER = ["fleet.view_fleet", "fleet.review_flag", "fleet.manage_sealing", "fleet.dispatch_trip"]
START = MONDAY + timedelta(hours=9)
ENGLISH = re.compile(r"outside_window|fleet\.[a-z_]+|_fen\b")


@pytest.fixture
async def trip(fleet_world):
    request = await make_request(fleet_world, starts_at=START)
    trip = await make_trip(
        request,
        fleet_world.sedan,
        fleet_world.driver,
        state=TripState.FINISHED,
        actual_start=START - timedelta(hours=1),
        actual_end=START + timedelta(hours=2),
        start_odometer_km=1000,
        end_odometer_km=1030,
    )
    await compliance.run_daily_checks(MONDAY.date(), MONDAY + timedelta(days=2))
    return trip


async def test_the_flags_page_lists_filters_and_exports_in_chinese(client, trip):
    await console_admin(client, "viewer", VIEWER)
    page = await client.get("/console/fleet/flags")
    assert page.status_code == 200 and "超出批准时段用车" in page.text and f"#{trip.id}" in page.text
    assert "说明并关闭" not in page.text  # a viewer cannot close
    assert not ENGLISH.search(re.sub(r"<[^>]+>", " ", page.text.split("<main", 1)[-1]))
    filtered = await client.get("/console/fleet/flags?kind=left_area")
    assert "没有符合筛选条件的记录" in filtered.text
    export = await client.get("/console/fleet/flags/export.xlsx?state=open")
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("编号", "发现时间", "问题类型") and rows[1][2] == "超出批准时段用车"


async def test_a_reviewer_closes_a_flag_with_an_explanation(client, trip):
    csrf = await console_admin(client, "reviewer", REVIEWER)
    flag = await ComplianceFlag.get(trip_id=trip.id)
    empty = await client.post(f"/console/fleet/flags/{flag.id}/close", data={"csrf_token": csrf, "explanation": ""})
    assert empty.status_code == 422 and "请填写情况说明" in empty.text
    done = await client.post(
        f"/console/fleet/flags/{flag.id}/close", data={"csrf_token": csrf, "explanation": "会议提前，已补手续"}
    )
    assert done.status_code == 302
    assert (await ComplianceFlag.get(id=flag.id)).state == FlagState.CLOSED
    assert await AuditEntry.filter(action="fleet.close_flag").count() == 1


async def test_a_viewer_cannot_close_a_flag(client, trip):
    csrf = await console_admin(client, "viewer", VIEWER)
    flag = await ComplianceFlag.get(trip_id=trip.id)
    refused = await client.post(f"/console/fleet/flags/{flag.id}/close", data={"csrf_token": csrf, "explanation": "x"})
    assert refused.status_code == 403
    assert (await ComplianceFlag.get(id=flag.id)).state == FlagState.OPEN


async def test_sealing_is_generated_from_the_calendar_and_reported(client, fleet_world):
    csrf = await console_admin(client, "reviewer", REVIEWER)
    made = await client.post("/console/fleet/sealing/calendar", data={"csrf_token": csrf, "year": "2026"})
    assert made.status_code == 302
    page = await client.get("/console/fleet/sealing")
    assert "2026年国庆节" in page.text and "法定节假日" in page.text
    period_id = re.search(r'href="/console/fleet/sealing/(\d+)"', page.text).group(1)
    report = await client.get(f"/console/fleet/sealing/{period_id}")
    assert report.status_code == 200 and "没有非值班车辆移动" in report.text
    overlap = await client.post(
        "/console/fleet/sealing",
        data={"csrf_token": csrf, "name": "加封", "starts_at": "2026-10-02T00:00", "ends_at": "2026-10-03T00:00"},
    )
    assert overlap.status_code == 422 and "重叠" in overlap.text


async def test_the_geofence_is_saved_from_lines_and_a_bad_one_says_why(client, fleet_world):
    csrf = await console_admin(client, "reviewer", REVIEWER)
    bad = await client.post(
        "/console/fleet/geofence",
        data={"csrf_token": csrf, "name": "市区", "polygon": "120,30\n121,30", "dwell_minutes": "10"},
    )
    assert bad.status_code == 422 and "至少需要 3 个不同的顶点" in bad.text
    good = await client.post(
        "/console/fleet/geofence",
        data={"csrf_token": csrf, "name": "市区", "polygon": "120,30\n121,30\n121,31", "dwell_minutes": "15"},
    )
    assert good.status_code == 302
    page = await client.get("/console/fleet/geofence")
    assert "121.0,31.0" in page.text and "3 个顶点" in page.text


async def test_the_trip_page_draws_the_uploaded_track(client, trip):
    csrf = await console_admin(client, "reviewer", REVIEWER)
    page = await client.get(f"/console/fleet/trips/{trip.id}")
    assert page.status_code == 200 and "还没有该行程的定位数据" in page.text and "超出批准时段用车" in page.text
    uploaded = await client.post(
        f"/console/fleet/trips/{trip.id}/gpx",
        data={"csrf_token": csrf, "datum": "wgs84"},
        files={"file": ("track.gpx", gpx(drive(20, START)))},
    )
    assert uploaded.status_code == 302, uploaded.text
    assert await Position.filter(trip_id=trip.id).count() == 20
    drawn = await client.get(f"/console/fleet/trips/{trip.id}")
    assert 'data-testid="track-svg"' in drawn.text and "<polyline" in drawn.text and "起点" in drawn.text
    not_gpx = await client.post(
        f"/console/fleet/trips/{trip.id}/gpx",
        data={"csrf_token": csrf},
        files={"file": ("track.gpx", b"hello")},
    )
    assert not_gpx.status_code == 422 and "文件不是 XML 格式" in not_gpx.text


async def test_a_viewer_sees_the_trip_page_without_the_upload_form_and_cannot_upload(client, trip):
    csrf = await console_admin(client, "viewer", VIEWER)
    page = await client.get(f"/console/fleet/trips/{trip.id}")
    assert page.status_code == 200 and "导入 GPX 轨迹" not in page.text
    refused = await client.post(
        f"/console/fleet/trips/{trip.id}/gpx",
        data={"csrf_token": csrf},
        files={"file": ("t.gpx", gpx(drive(20, START)))},
    )
    assert refused.status_code == 403 and await Position.all().count() == 0


async def test_the_dashboard_card_counts_open_flags(client, trip):
    await console_admin(client, "viewer", VIEWER)
    page = await client.get("/console/")
    assert 'data-testid="fleet-open-flags">1<' in page.text
    await compliance.close_flag(CLI_ACTOR, (await ComplianceFlag.get(trip_id=trip.id)).id, "已说明", START)
    again = await client.get("/console/")
    assert 'data-testid="fleet-open-flags">0<' in again.text
