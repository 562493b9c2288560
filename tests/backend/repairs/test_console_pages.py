"""The dispatchers' console pages over HTTP: the board with its filters, overdue badges and
export, a report's page with photos and timeline, each dispatcher step with its refusals, bulk
assignment, and who may do what (a viewer sees, a dispatcher acts, every write needs CSRF)."""

import io
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from PIL import Image

from backend.accounts.models import Person
from backend.core.timeutil import now
from backend.repairs.models import RepairEvent, RepairReport, ReportState, SparePart
from backend.repairs.service import reports as service
from backend.repairs.service import uploads
from backend.repairs.service.reports import Who
from tests.fixtures.repairs import jpeg
from tests.helpers import console_admin

VIEWER = ["repairs.view_report"]
DISPATCHER = ["repairs.view_report", "repairs.dispatch_report"]
ROW_IDS = re.compile(r'<a href="/console/repairs/(\d+)">#\d+</a>')


@dataclass
class Reports:
    late: int  # filed ten days ago in room 301 with a photo, never accepted
    fresh: int  # filed just now, only a spot given
    photo: int
    technician: int
    reporter: Who


@pytest.fixture
async def reports(repairs_world, runtime) -> Reports:
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)
    photo = await uploads.upload(runtime.storage, reporter.id, jpeg(1200, 900), now())
    late, _ = await service.submit(
        reporter,
        secrets.token_hex(8),
        repairs_world.water,
        repairs_world.room,
        "",
        "卫生间水龙头漏水，地面已积水",
        [photo["id"]],
        now() - timedelta(days=10),
    )
    fresh, _ = await service.submit(
        reporter, secrets.token_hex(8), repairs_world.water, None, "东门岗亭", "岗亭空调不制冷", [], now()
    )
    technician = await Person.get(employee_no="D0004")
    return Reports(late["id"], fresh["id"], photo["id"], technician.id, reporter)


async def _state(report_id: int) -> ReportState:
    return (await RepairReport.get(id=report_id)).state


# ---- the board ---------------------------------------------------------------------------------


async def test_the_board_lists_reports_newest_first_with_the_late_one_badged(client, reports):
    await console_admin(client, "viewer", VIEWER)
    board = await client.get("/console/repairs/")
    assert board.status_code == 200
    assert ROW_IDS.findall(board.text) == [str(reports.fresh), str(reports.late)]
    assert board.text.count('data-testid="overdue"') == 1
    assert "卫生间水龙头漏水" in board.text and "市民中心A座 3楼 301" in board.text and "东门岗亭" in board.text
    assert '新报修<span class="tab-count">2</span>' in board.text
    assert '已超时<span class="tab-count late">1</span>' in board.text
    assert "批量派工" not in board.text  # a viewer has no bulk form and no checkboxes
    by_due = await client.get("/console/repairs/?sort=due")
    assert ROW_IDS.findall(by_due.text) == [str(reports.late), str(reports.fresh)]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("overdue=1", ["late"]),
        ("state=submitted", ["fresh", "late"]),
        ("state=closed", []),
        ("building={building}", ["late"]),
        ("category=lighting", []),
        ("team={team}", ["fresh", "late"]),
        ("since={today}", ["fresh"]),
        ("until={long_ago}", []),
    ],
)
async def test_the_board_filters(client, reports, repairs_world, query, expected):
    await console_admin(client, "viewer", VIEWER)
    team = (await RepairReport.get(id=reports.late)).team_id
    query = query.format(
        building=repairs_world.building,
        team=team,
        today=now().date().isoformat(),
        long_ago=(now() - timedelta(days=30)).date().isoformat(),
    )
    board = await client.get(f"/console/repairs/?{query}")
    assert ROW_IDS.findall(board.text) == [str(getattr(reports, name)) for name in expected]


async def test_the_export_holds_the_filtered_reports_and_says_which_are_late(client, reports):
    await console_admin(client, "viewer", VIEWER)
    response = await client.get("/console/repairs/export.xlsx?state=submitted")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("编号", "提交时间", "类别", "地点", "描述", "报修人", "维修人员", "状态", "时限")
    assert [r[0] for r in rows[1:]] == [str(reports.fresh), str(reports.late)]
    late = rows[2]
    assert late[2:8] == ("水电", "市民中心A座 3楼 301", "卫生间水龙头漏水，地面已积水", "张伟", None, "待受理")
    assert late[8].endswith("（已超时）") and not rows[1][8].endswith("（已超时）")


# ---- one report --------------------------------------------------------------------------------


async def test_a_report_page_shows_its_photo_timeline_and_the_steps_a_dispatcher_may_take(client, reports):
    await console_admin(client, "dispatcher", DISPATCHER)
    page = await client.get(f"/console/repairs/{reports.late}")
    assert page.status_code == 200
    assert f'src="/console/repairs/photos/{reports.photo}?size=thumb"' in page.text
    assert 'data-testid="overdue"' in page.text and "市民中心A座 3楼 301" in page.text
    assert "处理记录" in page.text and "<b>提交</b>" in page.text and "张伟" in page.text
    assert f'action="/console/repairs/{reports.late}/assign"' in page.text
    assert "刘洋（D0004） · 水电班" in page.text
    assert '<option value="mark_duplicate">标记为重复</option>' in page.text
    assert "/reopen" not in page.text  # not resolved: nothing to reopen


async def test_a_viewer_sees_a_report_without_forms(client, reports):
    await console_admin(client, "viewer", VIEWER)
    page = await client.get(f"/console/repairs/{reports.late}")
    assert (
        page.status_code == 200
        and "处理记录" in page.text
        and '<form method="post" action="/console/repairs/' not in page.text
    )
    assert (await client.get("/console/repairs/999999")).status_code == 404


async def test_a_dispatcher_assigns_from_the_report_page(client, reports):
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    not_a_technician = await Person.get(employee_no="D0002")
    refused = await client.post(
        f"/console/repairs/{reports.late}/assign",
        data={"csrf_token": csrf, "technician_id": str(not_a_technician.id), "note": "请尽快"},
    )
    assert refused.status_code == 422
    assert re.search(r'<span class="field-error" role="alert">该人员不是此班组的维修人员</span>', refused.text)
    assigned = await client.post(
        f"/console/repairs/{reports.late}/assign",
        data={"csrf_token": csrf, "technician_id": str(reports.technician), "note": "请带备用龙头"},
    )
    assert (
        assigned.status_code == 302 and assigned.headers["location"] == f"/console/repairs/{reports.late}?done=assigned"
    )
    report = await RepairReport.get(id=reports.late)
    assert report.state == ReportState.ACCEPTED and report.assignee_id == reports.technician
    page = await client.get(assigned.headers["location"])
    assert "已派工，维修人员会在小程序中看到任务" in page.text and "请带备用龙头" in page.text
    assert "改派维修人员" in page.text  # the next step a dispatcher may take


async def test_closing_needs_a_reason_and_a_duplicate_needs_another_report(client, reports):
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    no_reason = await client.post(
        f"/console/repairs/{reports.fresh}/close", data={"csrf_token": csrf, "action": "reject"}
    )
    assert no_reason.status_code == 422 and 'class="field has-error"' in no_reason.text
    itself = await client.post(
        f"/console/repairs/{reports.fresh}/close",
        data={"csrf_token": csrf, "action": "mark_duplicate", "note": "同一处", "duplicate_of": str(reports.fresh)},
    )
    assert itself.status_code == 422 and "请选择另一张报修单作为重复对象" in itself.text
    assert 'value="同一处"' in itself.text  # what was typed stays in the form
    marked = await client.post(
        f"/console/repairs/{reports.fresh}/close",
        data={"csrf_token": csrf, "action": "mark_duplicate", "note": "同一处", "duplicate_of": str(reports.late)},
    )
    assert marked.headers["location"].endswith("?done=mark_duplicate")
    report = await RepairReport.get(id=reports.fresh)
    assert report.state == ReportState.DUPLICATE and report.duplicate_of_id == reports.late
    again = await client.post(
        f"/console/repairs/{reports.fresh}/close", data={"csrf_token": csrf, "action": "cancel", "note": "再次撤销"}
    )
    assert again.status_code == 422 and "报修单当前状态为“重复报修”，不能撤销" in again.text


async def test_a_resolved_report_is_reopened_with_a_reason(client, reports):
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    technician = await Who.of_cadre(reports.technician)
    await service.assign(Who("admin", None, "调度"), reports.late, reports.technician, now())
    await service.start(technician, reports.late, now())
    await service.resolve(technician, reports.late, "已更换", [], [], now())
    reopened = await client.post(
        f"/console/repairs/{reports.late}/reopen", data={"csrf_token": csrf, "note": "报修人电话反映仍在漏水"}
    )
    assert reopened.headers["location"].endswith("?done=reopen")
    assert await _state(reports.late) == ReportState.ACCEPTED
    assert (await RepairEvent.filter(report_id=reports.late).order_by("-id").first()).note == "报修人电话反映仍在漏水"


async def test_bulk_assign_assigns_each_and_says_which_was_refused_and_why(client, reports):
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    await service.close_without_repair(Who("admin", None, "调度"), reports.fresh, "reject", "不属于维修范围", now())
    board = await client.get("/console/repairs/?state=submitted")
    assert f'name="report_ids" value="{reports.late}" form="bulk-assign"' in board.text
    done = await client.post(
        "/console/repairs/bulk-assign",
        data={
            "csrf_token": csrf,
            "report_ids": [str(reports.late), str(reports.fresh)],
            "technician_id": str(reports.technician),
            "back": "?state=open",
        },
    )
    assert done.status_code == 302 and done.headers["location"].startswith("/console/repairs/?state=open&bulk=")
    assert await _state(reports.late) == ReportState.ACCEPTED and await _state(reports.fresh) == ReportState.REJECTED
    result = await client.get(done.headers["location"])
    assert f'已派工 1 张：<a href="/console/repairs/{reports.late}">' in result.text
    assert f"#{reports.fresh}</a> 报修单当前状态为“不予受理”，不能改派" in result.text
    nothing = await client.post("/console/repairs/bulk-assign", data={"csrf_token": csrf, "technician_id": "1"})
    assert "请先勾选报修单，并选择维修人员" in (await client.get(nothing.headers["location"])).text


async def test_a_bulk_result_is_shown_only_to_the_admin_who_asked(client, reports):
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    done = await client.post(
        "/console/repairs/bulk-assign",
        data={"csrf_token": csrf, "report_ids": [str(reports.late)], "technician_id": str(reports.technician)},
    )
    client.cookies.clear()
    await console_admin(client, "other", DISPATCHER)
    assert "已派工 1 张" not in (await client.get(done.headers["location"])).text


# ---- who may -----------------------------------------------------------------------------------


async def test_a_viewer_may_not_take_any_step(client, reports):
    csrf = await console_admin(client, "viewer", VIEWER)
    for path, data in (
        (f"{reports.late}/assign", {"technician_id": str(reports.technician)}),
        (f"{reports.late}/close", {"action": "reject", "note": "不予受理"}),
        (f"{reports.late}/reopen", {"note": "没修好"}),
        ("bulk-assign", {"report_ids": [str(reports.late)], "technician_id": str(reports.technician)}),
    ):
        refused = await client.post(f"/console/repairs/{path}", data={"csrf_token": csrf, **data})
        assert refused.status_code == 403, path
    assert await _state(reports.late) == ReportState.SUBMITTED


async def test_a_step_without_the_csrf_token_is_refused(client, reports):
    await console_admin(client, "dispatcher", DISPATCHER)
    for path in (f"{reports.late}/assign", "bulk-assign"):
        refused = await client.post(
            f"/console/repairs/{path}",
            data={"technician_id": str(reports.technician), "report_ids": [str(reports.late)]},
        )
        assert refused.status_code == 403 and "页面已失效" in refused.text
    assert await _state(reports.late) == ReportState.SUBMITTED


async def test_photos_are_served_to_those_who_may_see_reports(client, reports):
    await console_admin(client, "canteen", ["canteen.view_payment"])
    refused = await client.get(f"/console/repairs/photos/{reports.photo}?size=thumb")
    assert refused.status_code == 403
    client.cookies.clear()
    await console_admin(client, "viewer", VIEWER)
    thumbnail = await client.get(f"/console/repairs/photos/{reports.photo}?size=thumb")
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 320
    full = await client.get(f"/console/repairs/photos/{reports.photo}")
    assert Image.open(io.BytesIO(full.content)).size == (1200, 900)


async def test_the_dashboard_counts_open_late_and_new_reports_and_short_parts(client, reports):
    await SparePart.create(code="LED", name="LED 灯泡", quantity=1, low_stock=2)
    await console_admin(client, "viewer", VIEWER)
    dashboard = (await client.get("/console/")).text
    counts = dict(re.findall(r'data-testid="repairs-([a-z-]+)">(\d+)<', dashboard))
    assert counts == {"open": "2", "overdue": "1", "unassigned": "2", "low-stock": "1"}
    assert '<a href="/console/repairs/?overdue=1">1 张报修单已超时</a>' in dashboard
    client.cookies.clear()
    await console_admin(client, "canteen", ["canteen.view_payment"])
    assert 'data-testid="repairs-card"' not in (await client.get("/console/")).text
