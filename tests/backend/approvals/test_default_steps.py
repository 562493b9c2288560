"""A kind may declare the chain its requests take while no flow is set up (`default_steps`):
the bureau then approves after the unit's leader even on a fresh system, the console shows and
copies that chain, and a declared step with a condition the kind does not have stops the build."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tortoise.transactions import in_transaction

from backend import modules as module_list
from backend.approvals import service
from backend.approvals.models import ApprovalOutcome, ApproverRole
from backend.approvals.service import setup
from backend.core.audit import CLI_ACTOR
from backend.core.modules import ApprovalKind, Module, Platform
from backend.core.timeutil import now
from tests.helpers.approvals_test.module import CHECKED_KIND

LEADER, AUTHORITY = ApproverRole.UNIT_LEADER, ApproverRole.AUTHORITY


def _subject(world, requester="D0001", unit="FGW-BGS", subject_id=1) -> service.Subject:
    return service.Subject(CHECKED_KIND, subject_id, world.units[unit], world.people[requester], "测试")


async def _start(subject, facts=frozenset()):
    async with in_transaction() as conn:
        return await service.start(conn, subject, facts, now())


async def test_with_no_flow_set_up_a_kind_with_default_steps_takes_them_so_the_bureau_approves(approvals_world):
    w = approvals_world
    await w.approver("D0002", LEADER, "FGW")
    await w.approver("D0005", AUTHORITY, "SJGSW")
    view = await _start(_subject(w))
    assert [(s.position, s.role, s.title) for s in view.steps] == [
        (1, "unit_leader", "单位审批"),
        (2, "authority", "主管部门审批"),
    ]
    view = await service.decide(view.id, 1, w.people["D0002"], True, "", now())
    assert (view.state, view.current_position, w.decisions) == ("pending", 2, [])
    view = await service.decide(view.id, 2, w.people["D0005"], True, "", now())
    assert view.state == "approved"
    assert [(d[0], d[1]) for d in w.decisions] == [(1, ApprovalOutcome.APPROVED)]


async def test_a_kind_without_default_steps_still_has_the_units_leader_alone(approvals_world):
    view = await approvals_world.start(approvals_world.subject())
    assert [s.title for s in view.steps] == ["单位审批"]


async def test_a_flow_set_up_for_the_kind_replaces_its_default_steps(approvals_world):
    w = approvals_world
    flow_id = (await setup.create_flow(CLI_ACTOR, CHECKED_KIND, ""))["id"]
    flows = await setup.flows_of(CHECKED_KIND)
    # The new default flow starts as a copy of the declared chain.
    assert [s["title"] for s in flows["default"]["steps"]] == ["单位审批", "主管部门审批"]
    await setup.remove_step(CLI_ACTOR, flow_id, flows["default"]["steps"][1]["id"])
    view = await _start(_subject(w))
    assert [s.title for s in view.steps] == ["单位审批"]


async def test_a_flow_with_no_step_for_the_facts_falls_back_to_the_declared_chain(approvals_world):
    w = approvals_world
    flow_id = (await setup.create_flow(CLI_ACTOR, CHECKED_KIND, ""))["id"]
    for step in (await setup.flows_of(CHECKED_KIND))["default"]["steps"]:
        await setup.remove_step(CLI_ACTOR, flow_id, step["id"])
    await setup.add_step(CLI_ACTOR, flow_id, AUTHORITY, "outside_city", "出市审批")
    view = await _start(_subject(w))
    assert [s.title for s in view.steps] == ["单位审批", "主管部门审批"]


async def test_the_console_shows_the_declared_chain_while_no_default_flow_is_set(approvals_world):
    flows = await setup.flows_of(CHECKED_KIND)
    assert flows["default"] is None
    assert [(s["title"], s["role_label"]) for s in flows["built_in"]] == [
        ("单位审批", "单位负责人"),
        ("主管部门审批", "主管部门"),
    ]


def test_a_default_step_with_an_undeclared_condition_stops_the_build():
    kind = ApprovalKind("资产调拨", {}, "backend.assets.service:transfer_decided", "pages/x")
    stray = Module(
        name="things",
        title="测试",
        approval_kinds={"things.move": replace(kind, default_steps=(("authority", "over_value", "超额审批"),))},
    )
    with pytest.raises(ValueError, match="default step"):
        Platform.of((*module_list.modules(), stray), module_list.registry())


def test_every_declared_default_step_names_an_approver_role():
    for name, kind in service.kinds().items():
        assert all(ApproverRole(role) for role, _, _ in kind.default_steps), name


def test_the_assets_kinds_need_the_bureau_and_the_trip_request_does_not():
    kinds = service.kinds()
    bureau = [(LEADER, "", "单位审批"), (AUTHORITY, "", "主管部门审批")]
    for name in ("assets.warehouse_request", "assets.disposal", "assets.room_transfer"):
        assert service.built_in_steps(kinds[name]) == bureau, name
    assert service.built_in_steps(kinds["fleet.trip_request"]) == [(LEADER, "", "单位审批")]


async def test_the_approvals_of_many_subjects_are_read_at_once_by_subject(approvals_world):
    w = approvals_world
    first = await _start(_subject(w, subject_id=41))
    second = await _start(_subject(w, requester="D0002", unit="FGW-GHC", subject_id=42))
    found = await service.of_subjects(CHECKED_KIND, [41, 42, 43])
    assert sorted(found) == [41, 42]
    assert (found[41].id, found[42].id) == (first.id, second.id)
    assert [s.title for s in found[42].steps] == ["单位审批", "主管部门审批"]
    assert await service.of_subjects(CHECKED_KIND, []) == {}
