"""Dispatching from the console API: assign, bulk assign, reject or mark duplicate with a reason,
settings (categories, teams, locations, parts) and who may do each; late reports are marked by
the scheduled job across a weekend, and unconfirmed repairs close on their own."""

from datetime import datetime, timedelta

from backend.accounts.models import Person
from backend.core.timeutil import BUSINESS_TZ
from backend.notices.models import Notice
from backend.repairs.models import RepairCategory, RepairEvent, RepairReport, ReportState
from backend.repairs.service import reports as service
from backend.repairs.service import sla
from backend.repairs.service.reports import Who
from tests.fixtures.repairs import file_report
from tests.helpers import admin_token, bearer
from tests.helpers.cadres import bound_token

DISPATCHER = ["repairs.view_report", "repairs.dispatch_report"]


async def _filed(client, wechat, world, n: int = 1) -> list[int]:
    reporter = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    return [
        (await file_report(client, reporter, world.water, world.room, description=f"漏水 {i}")).json()["id"]
        for i in range(n)
    ]


async def test_a_dispatcher_assigns_a_report_to_a_technician(client, wechat, repairs_world):
    [report_id] = await _filed(client, wechat, repairs_world)
    token = await admin_token(client, "dispatcher", DISPATCHER)
    technician = await Person.get(employee_no="D0004")
    assigned = await client.post(
        f"/admin/v1/repairs/reports/{report_id}/assign",
        headers=bearer(token),
        json={"technician_id": technician.id, "note": "请尽快处理"},
    )
    assert assigned.status_code == 200, assigned.text
    body = assigned.json()
    assert body["state"] == "accepted" and body["assignee"]["name"] == "刘洋"
    assert body["timeline"][-1]["actor"] == "dispatcher" and body["timeline"][-1]["note"] == "请尽快处理"
    not_a_technician = await Person.get(employee_no="D0002")
    refused = await client.post(
        f"/admin/v1/repairs/reports/{report_id}/assign",
        headers=bearer(token),
        json={"technician_id": not_a_technician.id},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "repairs.not_a_technician"


async def test_bulk_assign_says_which_were_refused(client, wechat, repairs_world):
    first, second = await _filed(client, wechat, repairs_world, 2)
    token = await admin_token(client, "dispatcher", DISPATCHER)
    await client.post(
        f"/admin/v1/repairs/reports/{second}/close",
        headers=bearer(token),
        json={"action": "reject", "note": "不属于维修范围"},
    )
    technician = await Person.get(employee_no="D0004")
    result = (
        await client.post(
            "/admin/v1/repairs/reports/bulk-assign",
            headers=bearer(token),
            json={"report_ids": [first, second], "technician_id": technician.id},
        )
    ).json()
    assert result["assigned"] == [first] and result["refused"][0]["code"] == "repairs.illegal_transition"


async def test_marking_a_duplicate_needs_another_report(client, wechat, repairs_world):
    first, second = await _filed(client, wechat, repairs_world, 2)
    token = await admin_token(client, "dispatcher", DISPATCHER)
    itself = await client.post(
        f"/admin/v1/repairs/reports/{second}/close",
        headers=bearer(token),
        json={"action": "mark_duplicate", "note": "同一处漏水", "duplicate_of": second},
    )
    assert itself.status_code == 422
    marked = await client.post(
        f"/admin/v1/repairs/reports/{second}/close",
        headers=bearer(token),
        json={"action": "mark_duplicate", "note": "同一处漏水", "duplicate_of": first},
    )
    assert marked.json()["state"] == "duplicate" and marked.json()["duplicate_of"] == first


async def test_a_viewer_may_not_dispatch_and_settings_need_their_permission(client, wechat, repairs_world):
    [report_id] = await _filed(client, wechat, repairs_world)
    viewer = await admin_token(client, "viewer", ["repairs.view_report"])
    technician = await Person.get(employee_no="D0004")
    refused = await client.post(
        f"/admin/v1/repairs/reports/{report_id}/assign", headers=bearer(viewer), json={"technician_id": technician.id}
    )
    assert refused.status_code == 403
    assert (
        await client.post(
            "/admin/v1/repairs/categories",
            headers=bearer(viewer),
            json={"code": "lift", "name": "电梯", "accept_hours": "1", "resolve_hours": "8"},
        )
    ).status_code == 403
    assert (await RepairReport.get(id=report_id)).state == ReportState.SUBMITTED


async def test_settings_categories_teams_locations_and_stock(client, repairs_world):
    token = await admin_token(
        client, "settings", ["repairs.view_report", "repairs.manage_settings", "repairs.manage_parts"]
    )
    saved = await client.post(
        "/admin/v1/repairs/categories",
        headers=bearer(token),
        json={
            "code": "lift",
            "name": "电梯",
            "team_code": "WX1",
            "accept_hours": "0.5",
            "resolve_hours": "4",
            "auto_assign": True,
        },
    )
    assert saved.json()["accept_hours"] == 0.5
    bad_team = await client.post(
        "/admin/v1/repairs/teams",
        headers=bearer(token),
        json={"code": "DT1", "name": "电梯班", "member_employee_nos": ["NOPE"]},
    )
    assert bad_team.status_code == 404 and "NOPE" in bad_team.text
    room_under_room = await client.post(
        "/admin/v1/repairs/locations", headers=bearer(token), json={"name": "柜子", "parent_id": repairs_world.room}
    )
    assert room_under_room.status_code == 422
    part = (
        await client.post(
            "/admin/v1/repairs/parts", headers=bearer(token), json={"code": "VALVE", "name": "角阀", "low_stock": 3}
        )
    ).json()
    stocked = await client.post(
        f"/admin/v1/repairs/parts/{part['id']}/stock-in",
        headers=bearer(token),
        json={"quantity": 10, "note": "采购入库"},
    )
    assert stocked.json()["quantity"] == 10 and stocked.json()["is_low"] is False


async def test_late_reports_are_marked_once_counting_working_hours_over_a_weekend(client, wechat, repairs_world):
    """Filed Friday 2026-11-20 at 17:00: 2 working hours to accept run out Monday at 09:30."""
    [report_id] = await _filed(client, wechat, repairs_world)
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=BUSINESS_TZ)
    due = datetime(2026, 11, 23, 10, 0, tzinfo=BUSINESS_TZ)
    await RepairReport.filter(id=report_id).update(
        submitted_at=friday,
        accept_due_at=sla.add_working_hours(friday, 2),
        resolve_due_at=sla.add_working_hours(friday, 16),
    )
    assert (await RepairReport.get(id=report_id)).accept_due_at == due
    assert await service.mark_overdue(datetime(2026, 11, 22, 20, 0, tzinfo=BUSINESS_TZ)) == []  # Sunday
    assert await service.mark_overdue(due + timedelta(minutes=1)) == [report_id]
    assert await service.mark_overdue(due + timedelta(hours=1)) == []  # once
    [overdue] = await RepairEvent.filter(report_id=report_id, action="overdue")
    dispatcher = await Person.get(employee_no="D0005")
    assert await Notice.filter(subject_id=overdue.id, person_id=dispatcher.id).count() == 1


async def test_a_report_late_to_accept_and_then_late_to_repair_is_marked_for_each_stage(client, wechat, repairs_world):
    [report_id] = await _filed(client, wechat, repairs_world)
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=BUSINESS_TZ)
    await RepairReport.filter(id=report_id).update(
        submitted_at=monday,
        accept_due_at=sla.add_working_hours(monday, 2),
        resolve_due_at=sla.add_working_hours(monday, 16),
    )
    assert await service.mark_overdue(monday + timedelta(hours=3)) == [report_id]
    technician = await Person.get(employee_no="D0004")
    await service.assign(Who("admin", None, "调度"), report_id, technician.id, monday + timedelta(hours=4))
    assert (await RepairReport.get(id=report_id)).overdue_at is None
    assert await service.mark_overdue(monday + timedelta(hours=5)) == []
    late_to_repair = (await RepairReport.get(id=report_id)).resolve_due_at + timedelta(minutes=1)
    assert await service.mark_overdue(late_to_repair) == [report_id]
    notes = (
        await RepairEvent.filter(report_id=report_id, action="overdue").order_by("id").values_list("note", flat=True)
    )
    assert notes == ["超过受理时限", "超过修复时限"]


async def test_a_reopened_report_gets_the_full_time_to_repair_again(client, wechat, repairs_world):
    [report_id] = await _filed(client, wechat, repairs_world)
    technician = await Person.get(employee_no="D0004")
    at = datetime(2026, 11, 23, 9, 0, tzinfo=BUSINESS_TZ)
    await service.assign(Who("admin", None, "调度"), report_id, technician.id, at)
    tech = await Who.of_cadre(technician.id)
    await service.start(tech, report_id, at)
    late = (await RepairReport.get(id=report_id)).resolve_due_at + timedelta(minutes=1)
    assert await service.mark_overdue(late) == [report_id]
    await service.resolve(tech, report_id, "已修好", [], [], late)
    reporter = await Who.of_cadre((await RepairReport.get(id=report_id)).reporter_id)
    reopened_at = datetime(2026, 11, 30, 9, 0, tzinfo=BUSINESS_TZ)
    await service.reopen(reporter, report_id, "还是漏水", reopened_at)
    report = await RepairReport.get(id=report_id)
    category = await RepairCategory.get(id=report.category_id)
    assert report.resolve_due_at == sla.add_working_hours(reopened_at, float(category.resolve_hours))
    assert report.overdue_at is None
    assert await service.mark_overdue(reopened_at + timedelta(hours=1)) == []
    assert await service.mark_overdue(report.resolve_due_at + timedelta(minutes=1)) == [report_id]


async def test_a_repair_the_reporter_never_confirms_closes_after_the_set_days(client, wechat, repairs_world):
    [report_id] = await _filed(client, wechat, repairs_world)
    technician = await Person.get(employee_no="D0004")
    at = datetime(2026, 11, 2, 9, 0, tzinfo=BUSINESS_TZ)
    await service.assign(Who("admin", None, "调度"), report_id, technician.id, at)
    tech = await Who.of_cadre(technician.id)
    await service.start(tech, report_id, at)
    await service.resolve(tech, report_id, "已修好", [], [], at)
    assert await service.auto_close(at + timedelta(days=2), after_days=3) == 0
    assert await service.auto_close(at + timedelta(days=3, minutes=1), after_days=3) == 1
    report = await RepairReport.get(id=report_id)
    assert report.state == ReportState.CLOSED and report.rating is None


async def test_a_technician_who_has_left_gets_no_new_reports(client, wechat, repairs_world):
    reporter = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    await Person.filter(employee_no="D0004").update(is_active=False)
    filed = (await file_report(client, reporter, repairs_world.lighting, repairs_world.room)).json()
    assert filed["state"] == "submitted"  # nobody active to assign to automatically
    token = await admin_token(client, "dispatcher", DISPATCHER)
    technician = await Person.get(employee_no="D0004")
    refused = await client.post(
        f"/admin/v1/repairs/reports/{filed['id']}/assign", headers=bearer(token), json={"technician_id": technician.id}
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "repairs.not_a_technician"
