"""The approval chain: which flow a request takes, which of its steps the facts make, and who may
decide which step when. Nobody skips a step, decides for another unit, approves their own
request, decides two steps of one request, or decides after the request was withdrawn."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from backend.approvals import service
from backend.approvals.models import Approval, ApprovalOutcome, ApproverRole
from backend.approvals.service import setup
from backend.approvals.service.notices import render
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ, now
from backend.notices.models import Notice

LEADER, IN_CHARGE, AUTHORITY = ApproverRole.UNIT_LEADER, ApproverRole.LEADER_IN_CHARGE, ApproverRole.AUTHORITY


async def _flow(kind: str, unit_code: str, steps: list[tuple[ApproverRole, str, str]]) -> int:
    """A flow of exactly `steps` (role, condition, title)."""
    flow_id = (await setup.create_flow(CLI_ACTOR, kind, unit_code))["id"]
    flows = await setup.flows_of(kind)
    made = flows["default"] if not unit_code else next(f for f in flows["overrides"] if f["id"] == flow_id)
    for step in made["steps"]:
        await setup.remove_step(CLI_ACTOR, flow_id, step["id"])
    for role, condition, title in steps:
        await setup.add_step(CLI_ACTOR, flow_id, role, condition, title)
    return flow_id


def _refused(excinfo, code: str, status: int) -> None:
    assert (excinfo.value.code, excinfo.value.status) == (code, status)


async def _decide(world, view, employee_no: str, position: int | None = None, approve=True, comment=""):
    return await service.decide(
        view.id, position or view.current_position, world.people[employee_no], approve, comment, now()
    )


async def test_a_request_takes_its_units_flow_else_the_nearest_ancestors_else_the_default(approvals_world):
    w = approvals_world
    await _flow("approvals_test.thing", "", [(AUTHORITY, "", "默认审批")])
    await _flow("approvals_test.thing", "FGW", [(LEADER, "", "委审批")])
    await _flow("approvals_test.thing", "FGW-BGS", [(IN_CHARGE, "", "办公室审批")])
    own = await w.start(w.subject("D0001", "FGW-BGS"))
    ancestors = await w.start(w.subject("D0002", "FGW-GHC"))
    default = await w.start(w.subject("D0003", "CZJ-BGS"))
    assert [s.title for s in own.steps] == ["办公室审批"]
    assert [s.title for s in ancestors.steps] == ["委审批"]
    assert [(s.title, s.role) for s in default.steps] == [("默认审批", "authority")]


async def test_with_no_flow_set_up_the_units_leader_approves(approvals_world):
    view = await approvals_world.start(approvals_world.subject())
    assert [(s.position, s.role, s.title) for s in view.steps] == [(1, "unit_leader", "单位审批")]
    assert (view.state, view.current_position) == ("pending", 1)


async def test_conditional_steps_are_made_only_for_the_facts_the_request_comes_with(approvals_world):
    w = approvals_world
    await _flow(
        "approvals_test.thing",
        "",
        [(LEADER, "", "单位审批"), (AUTHORITY, "outside_city", "出市审批"), (IN_CHARGE, "over_quota", "超额审批")],
    )
    plain = await w.start(w.subject())
    over = await w.start(w.subject(), frozenset({"over_quota"}))
    both = await w.start(w.subject(), frozenset({"over_quota", "outside_city"}))
    assert [s.title for s in plain.steps] == ["单位审批"]
    assert [(s.position, s.title, s.condition_label) for s in over.steps] == [
        (1, "单位审批", "始终"),
        (2, "超额审批", "超出额度"),
    ]
    assert [s.title for s in both.steps] == ["单位审批", "出市审批", "超额审批"]
    assert both.fact_labels == ("出市", "超出额度")


async def test_a_fact_the_kind_does_not_declare_is_a_programming_error(approvals_world):
    with pytest.raises(ValueError, match="sealed_period"):
        await approvals_world.start(approvals_world.subject(), frozenset({"sealed_period"}))
    assert not await Approval.exists()


async def test_a_flow_with_no_step_for_the_facts_still_has_the_units_leader_approve(approvals_world):
    """No configuration lets a request through unapproved: a flow whose only step the facts do
    not call for falls back to the built-in 单位审批."""
    w = approvals_world
    await _flow("approvals_test.thing", "", [(AUTHORITY, "outside_city", "出市审批")])
    view = await w.start(w.subject())
    assert (view.state, [s.title for s in view.steps], view.current_position) == ("pending", ["单位审批"], 1)
    assert w.decisions == []


async def test_a_later_step_cannot_be_decided_while_an_earlier_one_waits(approvals_world):
    w = approvals_world
    await _flow("approvals_test.thing", "", [(LEADER, "", "单位审批"), (AUTHORITY, "", "主管部门审批")])
    await w.approver("D0002", LEADER, "FGW")
    await w.approver("D0005", AUTHORITY, "SJGSW")
    view = await w.start(w.subject())
    with pytest.raises(AppError) as skipped:
        await _decide(w, view, "D0005", position=2)
    _refused(skipped, "approvals.not_current_step", 409)
    assert "第 1 步" in skipped.value.message
    # and once step 1 is approved, step 1 cannot be decided again by another
    await _decide(w, view, "D0002")
    await w.approver("D0003", LEADER, "SJGSW")
    with pytest.raises(AppError) as again:
        await _decide(w, view, "D0003", position=1)
    _refused(again, "approvals.step_decided", 409)
    assert (await service.get(view.id)).current_position == 2


async def test_an_approver_of_another_unit_is_refused(approvals_world):
    w = approvals_world
    await w.approver("D0003", LEADER, "CZJ")  # 李娜 leads 财政局, the request is 发改委's
    view = await w.start(w.subject("D0001", "FGW-BGS"))
    with pytest.raises(AppError) as refused:
        await _decide(w, view, "D0003")
    _refused(refused, "approvals.not_approver", 403)
    assert (await service.get(view.id)).steps[0].state == "waiting"


async def test_an_approver_of_another_role_over_the_same_unit_is_refused(approvals_world):
    w = approvals_world
    await w.approver("D0002", IN_CHARGE, "FGW")
    view = await w.start(w.subject("D0001", "FGW-BGS"))
    with pytest.raises(AppError) as refused:
        await _decide(w, view, "D0002")
    _refused(refused, "approvals.not_approver", 403)


async def test_an_approver_over_a_unit_above_the_requests_unit_decides(approvals_world):
    w = approvals_world
    await w.approver("D0002", LEADER, "FGW")  # 发改委's leader, the request is of its 办公室
    view = await w.start(w.subject("D0001", "FGW-BGS"))
    decided = await _decide(w, view, "D0002", comment="同意")
    assert decided.state == "approved"
    assert decided.steps[0].decided_by == {"id": w.people["D0002"], "name": "王芳"}
    assert decided.steps[0].comment == "同意"


async def test_a_withdrawn_approver_no_longer_decides(approvals_world):
    w = approvals_world
    approver_id = await w.approver("D0002", LEADER, "FGW")
    await setup.set_approver_active(CLI_ACTOR, approver_id, False)
    view = await w.start(w.subject())
    with pytest.raises(AppError) as refused:
        await _decide(w, view, "D0002")
    _refused(refused, "approvals.not_approver", 403)


async def test_the_requester_cannot_approve_their_own_request(approvals_world):
    w = approvals_world
    await w.approver("D0001", LEADER, "FGW")
    view = await w.start(w.subject("D0001", "FGW-BGS"))
    with pytest.raises(AppError) as refused:
        await _decide(w, view, "D0001")
    _refused(refused, "approvals.own_request", 403)


async def test_one_person_cannot_decide_two_steps_of_one_request(approvals_world):
    w = approvals_world
    await _flow("approvals_test.thing", "", [(LEADER, "", "单位审批"), (AUTHORITY, "", "主管部门审批")])
    await w.approver("D0005", LEADER, "SJGSW")
    await w.approver("D0005", AUTHORITY, "SJGSW")
    view = await w.start(w.subject())
    await _decide(w, view, "D0005", position=1)
    with pytest.raises(AppError) as refused:
        await _decide(w, view, "D0005", position=2)
    _refused(refused, "approvals.two_steps", 403)


async def test_a_refusal_needs_a_comment_and_ends_the_chain(approvals_world):
    w = approvals_world
    await _flow("approvals_test.thing", "", [(LEADER, "", "单位审批"), (AUTHORITY, "", "主管部门审批")])
    await w.approver("D0002", LEADER, "FGW")
    subject = w.subject()
    view = await w.start(subject)
    with pytest.raises(AppError) as bare:
        await _decide(w, view, "D0002", approve=False, comment="  ")
    _refused(bare, "approvals.comment_required", 422)
    with pytest.raises(AppError) as long:
        await _decide(w, view, "D0002", approve=False, comment="长" * 501)
    _refused(long, "approvals.comment_too_long", 422)
    refused = await _decide(w, view, "D0002", approve=False, comment="行程与公务无关")
    assert (refused.state, refused.current_position) == ("refused", 0)
    assert [s.state for s in refused.steps] == ["refused", "waiting"]
    assert [(s, o) for s, o, _ in w.decisions] == [(subject.id, ApprovalOutcome.REFUSED)]
    entry = await AuditEntry.get(action="approvals.refuse_step")
    assert entry.after["comment"] == "行程与公务无关" and entry.actor_name == "王芳（审批人 D0002）"


async def test_a_decision_after_the_request_was_cancelled_is_refused(approvals_world):
    w = approvals_world
    await w.approver("D0002", LEADER, "FGW")
    subject = w.subject()
    view = await w.start(subject)
    async with in_transaction() as conn:
        cancelled = await service.cancel(conn, subject.kind, subject.id, now())
    assert cancelled.state == "cancelled"
    with pytest.raises(AppError) as refused:
        await _decide(w, view, "D0002", position=1)
    _refused(refused, "approvals.cancelled", 409)
    assert (
        w.decisions == []
        and not await AuditEntry.filter(action__startswith="approvals.")
        .exclude(action="approvals.assign_approver")
        .exists()
    )


async def test_the_same_decision_sent_again_by_its_approver_changes_nothing(approvals_world):
    w = approvals_world
    await w.approver("D0002", LEADER, "FGW")
    view = await w.start(w.subject())
    first = await _decide(w, view, "D0002", position=1, comment="同意")
    again = await _decide(w, view, "D0002", position=1, comment="同意")
    assert again == first
    assert len(w.decisions) == 1
    assert await AuditEntry.filter(action="approvals.approve_step").count() == 1
    # but the opposite decision is not a retry
    with pytest.raises(AppError) as refused:
        await _decide(w, view, "D0002", position=1, approve=False, comment="改主意")
    _refused(refused, "approvals.already_decided", 409)


async def test_approving_every_step_approves_tells_the_module_and_audits_each_decision(approvals_world):
    w = approvals_world
    await _flow("approvals_test.thing", "", [(LEADER, "", "单位审批"), (AUTHORITY, "outside_city", "出市审批")])
    await w.approver("D0002", LEADER, "FGW")
    await w.approver("D0005", AUTHORITY, "SJGSW")
    subject = w.subject()
    view = await w.start(subject, frozenset({"outside_city"}))
    middle = await _decide(w, view, "D0002")
    assert (middle.state, middle.current_position, w.decisions) == ("pending", 2, [])
    done = await _decide(w, view, "D0005", position=2)
    assert (done.state, done.current_position) == ("approved", 0) and done.decided_at is not None
    assert [(s, o) for s, o, _ in w.decisions] == [(subject.id, ApprovalOutcome.APPROVED)]
    entries = await AuditEntry.filter(action="approvals.approve_step").order_by("id")
    assert [(e.object_type, e.object_id, e.after["step"]) for e in entries] == [
        ("approval", str(view.id), "第 1 步 单位审批"),
        ("approval", str(view.id), "第 2 步 出市审批"),
    ]


async def test_the_approvers_of_each_step_are_sent_a_notice_when_it_is_their_turn(approvals_world):
    w = approvals_world
    await _flow("approvals_test.thing", "", [(LEADER, "", "单位审批"), (AUTHORITY, "", "主管部门审批")])
    await w.approver("D0002", LEADER, "FGW")
    await w.approver("D0001", LEADER, "FGW")  # the requester: never told to approve their own
    await w.approver("D0003", LEADER, "CZJ")  # another unit's: not told
    await w.approver("D0005", AUTHORITY, "SJGSW")
    await w.approver("D0002", AUTHORITY, "FGW")  # decides step 1, so not told of step 2
    view = await w.start(w.subject("D0001", "FGW-BGS", "赴省城开会用车"))
    told = await Notice.filter(template="approvals.pending", subject_id=view.id).values_list("person_id", flat=True)
    assert sorted(told) == [w.people["D0002"]]
    await _decide(w, view, "D0002")
    told = await Notice.filter(template="approvals.pending", subject_id=view.id).values_list("person_id", flat=True)
    assert sorted(told) == sorted([w.people["D0002"], w.people["D0005"]])
    message = await render(view.id)
    assert message.data["thing1"] == "待您审批：赴省城开会用车"
    assert message.page == f"pages/approvals/detail?id={view.id}"
    await _decide(w, view, "D0005", position=2)
    assert await render(view.id) is None  # decided before the notice went out: nothing to send


async def test_an_approver_sees_what_waits_for_them_now(approvals_world):
    w = approvals_world
    await _flow("approvals_test.thing", "", [(LEADER, "", "单位审批"), (AUTHORITY, "", "主管部门审批")])
    await w.approver("D0002", LEADER, "FGW")
    await w.approver("D0005", AUTHORITY, "SJGSW")
    fgw = await w.start(w.subject("D0001", "FGW-BGS"))
    czj = await w.start(w.subject("D0003", "CZJ-BGS"))
    assert [v.id for v in await service.pending_for(w.people["D0002"])] == [fgw.id]
    assert await service.pending_for(w.people["D0005"]) == []  # step 2 does not wait yet
    await _decide(w, fgw, "D0002")
    assert await service.pending_for(w.people["D0002"]) == []
    assert [v.id for v in await service.pending_for(w.people["D0005"])] == [fgw.id]
    assert [v.current_position for v in await service.pending_for(w.people["D0005"])] == [2]
    assert czj.id not in [v.id for v in await service.pending_for(w.people["D0005"])]


async def test_approval_durations_per_unit_give_count_average_and_90th_percentile(approvals_world):
    w = approvals_world
    await w.approver("D0002", LEADER, "FGW")
    start = now().astimezone(BUSINESS_TZ).replace(hour=8, minute=0, second=0, microsecond=0)
    for minutes in range(10, 110, 10):  # ten requests decided after 10, 20, ..., 100 minutes
        view = await w.start(w.subject(), at=start)
        await service.decide(view.id, 1, w.people["D0002"], True, "", start + timedelta(minutes=minutes))
    day = start.date()
    (row,) = await service.approval_durations("approvals_test.thing", day, day)
    assert (row["unit_name"], row["count"], row["average_minutes"], row["p90_minutes"]) == ("办公室", 10, 55.0, 90.0)
    later = day + timedelta(days=1)
    assert await service.approval_durations("approvals_test.thing", later, later + timedelta(days=30)) == []


async def test_a_request_is_started_once(approvals_world):
    w = approvals_world
    subject = w.subject()
    await w.start(subject)
    with pytest.raises(AppError) as refused:
        await w.start(subject)
    _refused(refused, "approvals.already_started", 409)
