"""The console's approvals pages: the record (filtered, exported, one approval's steps with who
decided when and why), each kind's flows and the approvers, set up by flow managers and
audited; those who may only see the record change nothing."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from backend.approvals import service
from backend.approvals.models import ApprovalFlow, ApprovalFlowStep, Approver, ApproverRole
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.helpers import console_admin

VIEWER = ["approvals.view_approval"]
MANAGER = ["approvals.view_approval", "approvals.manage_flow"]
KIND = "approvals_test.thing"


async def test_the_record_lists_filters_exports_and_shows_each_approvals_steps(client, approvals_world):
    w = approvals_world
    await w.approver("D0002", ApproverRole.UNIT_LEADER, "FGW")
    decided = await w.start(w.subject("D0001", "FGW-BGS", "赴省城开会用车"))
    await service.decide(decided.id, 1, w.people["D0002"], False, "非公务出行", now())
    await w.start(w.subject("D0003", "CZJ-BGS", "市内调研用车"))
    await console_admin(client, "viewer", VIEWER)
    listed = await client.get("/console/approvals/")
    assert listed.status_code == 200
    assert "赴省城开会用车" in listed.text and "市内调研用车" in listed.text and "测试申请" in listed.text
    refused = await client.get("/console/approvals/?state=refused")
    assert "赴省城开会用车" in refused.text and "市内调研用车" not in refused.text
    exported = await client.get("/console/approvals/export.xlsx?state=refused")
    rows = list(load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "类型", "申请内容") and [r[2] for r in rows[1:]] == ["赴省城开会用车"]
    detail = await client.get(f"/console/approvals/{decided.id}")
    assert detail.status_code == 200
    assert "王芳" in detail.text and "非公务出行" in detail.text and "已驳回" in detail.text
    # nothing on these pages decides
    assert "/decide" not in detail.text


async def test_a_unit_admin_sees_only_their_units_approvals(client, approvals_world):
    w = approvals_world
    fgw = await w.start(w.subject("D0001", "FGW-BGS", "发改委用车"))
    czj = await w.start(w.subject("D0003", "CZJ-BGS", "财政局用车"))
    await console_admin(client, "fgw_admin", VIEWER, unit_code="FGW")
    listed = await client.get("/console/approvals/")
    assert "发改委用车" in listed.text and "财政局用车" not in listed.text
    assert (await client.get(f"/console/approvals/{fgw.id}")).status_code == 200
    assert (await client.get(f"/console/approvals/{czj.id}")).status_code == 404


async def test_a_manager_sets_up_a_kinds_default_flow_and_a_units_own_audited(client, approvals_world):
    w = approvals_world
    csrf = await console_admin(client, "manager", MANAGER)
    page = await client.get(f"/console/approvals/flows?kind={KIND}")
    assert page.status_code == 200 and "测试申请" in page.text and "内置流程" in page.text
    created = await client.post(f"/console/approvals/flows/{KIND}", data={"csrf_token": csrf})
    assert created.status_code == 302
    default = await ApprovalFlow.get(kind=KIND, unit_id=None)
    added = await client.post(
        f"/console/approvals/flows/{KIND}/{default.id}/steps",
        data={"csrf_token": csrf, "title": "出市审批", "role": "authority", "condition": "outside_city"},
    )
    assert added.status_code == 302, added.text
    steps = await ApprovalFlowStep.filter(flow_id=default.id).order_by("position")
    assert [(s.title, s.role, s.condition) for s in steps] == [
        ("单位审批", ApproverRole.UNIT_LEADER, ""),
        ("出市审批", ApproverRole.AUTHORITY, "outside_city"),
    ]
    moved = await client.post(
        f"/console/approvals/flows/{KIND}/{default.id}/steps/{steps[1].id}/move",
        data={"csrf_token": csrf, "direction": "up"},
    )
    assert moved.status_code == 302
    assert [s.title for s in await ApprovalFlowStep.filter(flow_id=default.id).order_by("position")] == [
        "出市审批",
        "单位审批",
    ]
    # a unit's own flow starts as a copy of what its requests take now
    await client.post(f"/console/approvals/flows/{KIND}", data={"csrf_token": csrf, "unit_code": "FGW"})
    own = await ApprovalFlow.get(kind=KIND, unit_id=w.units["FGW"])
    own_steps = await ApprovalFlowStep.filter(flow_id=own.id).order_by("position")
    assert [s.title for s in own_steps] == ["出市审批", "单位审批"]
    removed = await client.post(
        f"/console/approvals/flows/{KIND}/{own.id}/steps/{own_steps[0].id}/remove", data={"csrf_token": csrf}
    )
    assert removed.status_code == 302
    view = await w.start(w.subject("D0001", "FGW-BGS"), frozenset({"outside_city"}))
    assert [s.title for s in view.steps] == ["单位审批"]
    page = await client.get(f"/console/approvals/flows?kind={KIND}")
    assert "市发展和改革委员会 的流程" in page.text and "出市" in page.text
    deleted = await client.post(f"/console/approvals/flows/{KIND}/{own.id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 302 and not await ApprovalFlow.exists(id=own.id)
    actions = await AuditEntry.filter(action__startswith="approvals.").values_list("action", flat=True)
    assert sorted(set(actions)) == [
        "approvals.add_flow_step",
        "approvals.create_flow",
        "approvals.delete_flow",
        "approvals.move_flow_step",
        "approvals.remove_flow_step",
    ]
    moved_entry = await AuditEntry.get(action="approvals.move_flow_step")
    assert moved_entry.after["steps"] == ["1. 出市审批（主管部门，出市）", "2. 单位审批（单位负责人，始终）"]


async def test_a_step_with_a_condition_the_kind_does_not_declare_is_refused_at_the_field(client, approvals_world):
    csrf = await console_admin(client, "manager", MANAGER)
    await client.post(f"/console/approvals/flows/{KIND}", data={"csrf_token": csrf})
    default = await ApprovalFlow.get(kind=KIND, unit_id=None)
    refused = await client.post(
        f"/console/approvals/flows/{KIND}/{default.id}/steps",
        data={"csrf_token": csrf, "title": "封存期审批", "role": "authority", "condition": "sealed_period"},
    )
    assert refused.status_code == 422 and "没有“sealed_period”这个条件" in refused.text
    assert await ApprovalFlowStep.filter(flow_id=default.id).count() == 1


async def test_a_manager_assigns_and_withdraws_approvers_audited(client, approvals_world):
    csrf = await console_admin(client, "manager", MANAGER)
    assigned = await client.post(
        "/console/approvals/approvers",
        data={"csrf_token": csrf, "employee_no": "D0002", "role": "unit_leader", "unit_code": "FGW"},
    )
    assert assigned.status_code == 302
    approver = await Approver.get(person_id=approvals_world.people["D0002"])
    page = await client.get("/console/approvals/approvers")
    assert "王芳" in page.text and "单位负责人" in page.text and "市发展和改革委员会" in page.text
    twice = await client.post(
        "/console/approvals/approvers",
        data={"csrf_token": csrf, "employee_no": "D0002", "role": "unit_leader", "unit_code": "FGW"},
    )
    assert twice.status_code == 422 and "已是此单位的单位负责人" in twice.text
    unknown = await client.post(
        "/console/approvals/approvers",
        data={"csrf_token": csrf, "employee_no": "X9999", "role": "unit_leader", "unit_code": "FGW"},
    )
    assert unknown.status_code == 422 and "X9999" in unknown.text
    withdrawn = await client.post(
        f"/console/approvals/approvers/{approver.id}/active", data={"csrf_token": csrf, "is_active": "0"}
    )
    assert withdrawn.status_code == 302
    assert not (await Approver.get(id=approver.id)).is_active
    entries = await AuditEntry.filter(object_type="approver").order_by("id")
    assert [e.action for e in entries] == ["approvals.assign_approver", "approvals.withdraw_approver"]
    assert entries[1].after == {
        "person": "王芳（D0002）",
        "role": "unit_leader",
        "unit": "市发展和改革委员会",
        "is_active": False,
    }


async def test_one_who_may_only_see_the_record_changes_no_flow_or_approver(client, approvals_world):
    csrf = await console_admin(client, "viewer", VIEWER)
    assert (await client.get("/console/approvals/flows")).status_code == 403
    assert (await client.get("/console/approvals/approvers")).status_code == 403
    for path, data in (
        (f"/console/approvals/flows/{KIND}", {}),
        ("/console/approvals/approvers", {"employee_no": "D0002", "role": "unit_leader", "unit_code": "FGW"}),
    ):
        assert (await client.post(path, data={"csrf_token": csrf, **data})).status_code == 403
    assert not await ApprovalFlow.exists() and not await Approver.exists()


async def test_a_kind_has_one_default_flow_and_a_unit_one_flow(client, approvals_world):
    csrf = await console_admin(client, "manager", MANAGER)
    for unit_code in ("", "FGW"):
        first = await client.post(f"/console/approvals/flows/{KIND}", data={"csrf_token": csrf, "unit_code": unit_code})
        again = await client.post(f"/console/approvals/flows/{KIND}", data={"csrf_token": csrf, "unit_code": unit_code})
        assert first.status_code == 302 and again.status_code == 422 and "已有此类审批的流程" in again.text
    assert await ApprovalFlow.filter(kind=KIND).count() == 2
