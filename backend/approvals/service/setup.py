"""Setting approvals up from the console, every write audited: each kind's flows (the default
one and the overrides of units, their steps added, removed and reordered) and the approvers
(a person given a role over a unit, or withdrawn from it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.accounts.service import people as accounts
from backend.approvals.errors import ApprovalsError
from backend.approvals.models import ApprovalFlow, ApprovalFlowStep, Approver, ApproverRole
from backend.approvals.service import MAX_STEPS, _condition_label, _flow_steps, built_in_steps, kind_of
from backend.core.audit import Actor, record
from backend.core.modules import ApprovalKind

DEFAULT_UNIT = "默认（所有单位）"


def _step_text(kind: ApprovalKind, position: int, role: ApproverRole, condition: str, title: str) -> str:
    return f"{position}. {title}（{role.label}，{_condition_label(kind, condition)}）"


def _step_view(kind: ApprovalKind, step: ApprovalFlowStep) -> dict:
    return {
        "id": step.id,
        "position": step.position,
        "role": step.role.value,
        "role_label": step.role.label,
        "condition": step.condition,
        "condition_label": _condition_label(kind, step.condition),
        "title": step.title,
    }


async def flows_of(kind_name: str) -> dict:
    """The kind's default flow and its units' overrides (by unit tree), with their steps; where
    there is no default, the built-in chain a request then takes."""
    kind = kind_of(kind_name)
    flows = await ApprovalFlow.filter(kind=kind_name)
    steps: dict[int, list[ApprovalFlowStep]] = {}
    for step in await ApprovalFlowStep.filter(flow_id__in=[f.id for f in flows]).order_by("position", "id"):
        steps.setdefault(step.flow_id, []).append(step)
    units = await accounts.units_by_id({f.unit_id for f in flows if f.unit_id})
    views = [
        {
            "id": f.id,
            "unit_id": f.unit_id,
            "unit_name": units[f.unit_id].name if f.unit_id in units else DEFAULT_UNIT,
            "unit_path": units[f.unit_id].path if f.unit_id in units else "",
            "steps": [_step_view(kind, s) for s in steps.get(f.id, [])],
        }
        for f in flows
    ]
    default = next((v for v in views if v["unit_id"] is None), None)
    return {
        "kind": kind_name,
        "title": kind.title,
        "conditions": list(kind.conditions.items()),
        "default": default,
        "built_in": [
            {"position": n, "role_label": role.label, "condition_label": _condition_label(kind, c), "title": title}
            for n, (role, c, title) in enumerate(built_in_steps(kind), start=1)
        ],
        "overrides": sorted((v for v in views if v["unit_id"] is not None), key=lambda v: v["unit_path"]),
    }


def _flow_audit(kind: ApprovalKind, unit_name: str, steps: list[ApprovalFlowStep]) -> dict:
    return {
        "kind": kind.title,
        "unit": unit_name,
        "steps": [_step_text(kind, s.position, s.role, s.condition, s.title) for s in steps],
    }


async def create_flow(actor: Actor, kind_name: str, unit_code: str) -> dict:
    """The kind's default flow (`unit_code` ""), or a unit's own; it starts as a copy of the
    chain the unit's requests take now, to be edited from there."""
    kind = kind_of(kind_name)
    unit = await accounts.unit_by_code(unit_code) if unit_code else None
    if unit_code and unit is None:
        raise ApprovalsError.UNIT_NOT_FOUND.error()
    chain = await _flow_steps(kind_name, unit.path) if unit else built_in_steps(kind)
    try:
        async with in_transaction() as conn:
            flow = await ApprovalFlow.create(
                kind=kind_name, unit_id=unit.id if unit else None, unit_key=unit.id if unit else 0, using_db=conn
            )
            steps = [
                await ApprovalFlowStep.create(
                    flow_id=flow.id, position=n, role=role, condition=condition, title=title, using_db=conn
                )
                for n, (role, condition, title) in enumerate(chain, start=1)
            ]
            after = _flow_audit(kind, unit.name if unit else DEFAULT_UNIT, steps)
            await record(conn, actor, "approvals.create_flow", "approval_flow", flow.id, None, after)
    except IntegrityError as taken:
        raise ApprovalsError.FLOW_EXISTS.error() from taken
    return {"id": flow.id}


async def _locked_flow(conn: Any, flow_id: int) -> tuple[ApprovalFlow, ApprovalKind, str, list[ApprovalFlowStep]]:
    """The flow under its row lock, with its kind, the name of its unit and its steps."""
    flow = await ApprovalFlow.filter(id=flow_id).using_db(conn).select_for_update().get_or_none()
    if flow is None:
        raise ApprovalsError.FLOW_NOT_FOUND.error()
    unit_name = DEFAULT_UNIT
    if flow.unit_id:
        unit_name = (await accounts.units_by_id([flow.unit_id]))[flow.unit_id].name
    steps = await ApprovalFlowStep.filter(flow_id=flow.id).using_db(conn).order_by("position", "id")
    return flow, kind_of(flow.kind), unit_name, steps


# The audit action of each edit of a flow's steps.
FLOW_EDITS = {
    "add": "approvals.add_flow_step",
    "remove": "approvals.remove_flow_step",
    "move": "approvals.move_flow_step",
}


async def _edit_flow(
    actor: Actor,
    flow_id: int,
    edit: str,
    change: Callable[[Any, ApprovalKind, list[ApprovalFlowStep]], Awaitable[list[ApprovalFlowStep]]],
) -> None:
    """Change a flow's steps under its row lock: `change` returns the steps as they are to be,
    which are renumbered 1..n; the flow before and after goes to the audit log."""
    action = FLOW_EDITS[edit]
    async with in_transaction() as conn:
        flow, kind, unit_name, steps = await _locked_flow(conn, flow_id)
        before = _flow_audit(kind, unit_name, steps)
        steps = await change(conn, kind, steps)
        for n, step in enumerate(steps, start=1):
            if step.position != n:
                step.position = n
                await step.save(using_db=conn, update_fields=["position"])
        await record(conn, actor, action, "approval_flow", flow.id, before, _flow_audit(kind, unit_name, steps))


async def add_step(actor: Actor, flow_id: int, role: ApproverRole, condition: str, title: str) -> None:
    """A step at the end of the flow; `condition` "" (always) or one the kind declares."""

    async def append(conn: Any, kind: ApprovalKind, steps: list[ApprovalFlowStep]) -> list[ApprovalFlowStep]:
        if condition and condition not in kind.conditions:
            raise ApprovalsError.CONDITION_UNKNOWN.error(condition=condition)
        if len(steps) >= MAX_STEPS:
            raise ApprovalsError.TOO_MANY_STEPS.error(limit=MAX_STEPS)
        added = await ApprovalFlowStep.create(
            flow_id=flow_id, position=len(steps) + 1, role=role, condition=condition, title=title, using_db=conn
        )
        return [*steps, added]

    await _edit_flow(actor, flow_id, "add", append)


def _find(steps: list[ApprovalFlowStep], step_id: int) -> int:
    index = next((i for i, s in enumerate(steps) if s.id == step_id), None)
    if index is None:
        raise ApprovalsError.STEP_NOT_FOUND.error()
    return index


async def remove_step(actor: Actor, flow_id: int, step_id: int) -> None:
    async def drop(conn: Any, kind: ApprovalKind, steps: list[ApprovalFlowStep]) -> list[ApprovalFlowStep]:
        index = _find(steps, step_id)
        await ApprovalFlowStep.filter(id=step_id).using_db(conn).delete()
        return steps[:index] + steps[index + 1 :]

    await _edit_flow(actor, flow_id, "remove", drop)


async def move_step(actor: Actor, flow_id: int, step_id: int, up: bool) -> None:
    """The step one place earlier (`up`) or later; at either end it stays."""

    async def move(conn: Any, kind: ApprovalKind, steps: list[ApprovalFlowStep]) -> list[ApprovalFlowStep]:
        index = _find(steps, step_id)
        other = index - 1 if up else index + 1
        if 0 <= other < len(steps):
            steps[index], steps[other] = steps[other], steps[index]
        return steps

    await _edit_flow(actor, flow_id, "move", move)


async def delete_flow(actor: Actor, flow_id: int) -> None:
    """A unit's requests then take the flow of the nearest unit above it, or the default; with
    the default gone, the kind's built-in one (its declared steps, else 单位审批). Approvals
    already started keep their steps."""
    async with in_transaction() as conn:
        flow, kind, unit_name, steps = await _locked_flow(conn, flow_id)
        before = _flow_audit(kind, unit_name, steps)
        await flow.delete(using_db=conn)
        await record(conn, actor, "approvals.delete_flow", "approval_flow", flow_id, before, None)


# ---- approvers ---------------------------------------------------------------------------------


async def list_approvers(role: str = "", active_only: bool = False) -> list[dict]:
    """Every approver by unit tree, then role and person."""
    query = Approver.all()
    if role:
        query = query.filter(role=role)
    if active_only:
        query = query.filter(is_active=True)
    approvers = await query.order_by("id")
    people = {p.id: p for p in await accounts.people_summaries({a.person_id for a in approvers})}
    units = await accounts.units_by_id({a.unit_id for a in approvers})
    rows = [
        {
            "id": a.id,
            "person_id": a.person_id,
            "person_name": people[a.person_id].name if a.person_id in people else "",
            "employee_no": people[a.person_id].employee_no if a.person_id in people else "",
            "person_active": people[a.person_id].is_active if a.person_id in people else False,
            "role": a.role.value,
            "role_label": a.role.label,
            "unit_name": units[a.unit_id].name if a.unit_id in units else "",
            "unit_path": units[a.unit_id].path if a.unit_id in units else "",
            "is_active": a.is_active,
        }
        for a in approvers
    ]
    return sorted(rows, key=lambda r: (r["unit_path"], r["role"], r["employee_no"]))


def _approver_audit(person: accounts.PersonSummary, unit: accounts.UnitSummary, approver: Approver) -> dict:
    return {
        "person": f"{person.name}（{person.employee_no}）",
        "role": approver.role.value,
        "unit": unit.name,
        "is_active": approver.is_active,
    }


async def assign_approver(actor: Actor, employee_no: str, role: ApproverRole, unit_code: str) -> dict:
    """The person approves as `role` for the unit and the units below it; one withdrawn from the
    same role and unit before is given it back."""
    ids = await accounts.person_ids_with_employee_no(employee_no)
    people = [p for p in await accounts.people_summaries(ids) if p.is_active]
    if not people:
        raise ApprovalsError.PERSON_NOT_FOUND.error(employee_no=employee_no)
    person, unit = people[0], await accounts.unit_by_code(unit_code)
    if unit is None:
        raise ApprovalsError.UNIT_NOT_FOUND.error()
    async with in_transaction() as conn:
        approver = (
            await Approver.filter(person_id=person.id, role=role, unit_id=unit.id)
            .using_db(conn)
            .select_for_update()
            .get_or_none()
        )
        if approver is not None and approver.is_active:
            raise ApprovalsError.APPROVER_EXISTS.error(role=role.label)
        before = None if approver is None else _approver_audit(person, unit, approver)
        if approver is None:
            approver = await Approver.create(person_id=person.id, role=role, unit_id=unit.id, using_db=conn)
        else:
            approver.is_active = True
            await approver.save(using_db=conn, update_fields=["is_active"])
        after = _approver_audit(person, unit, approver)
        await record(conn, actor, "approvals.assign_approver", "approver", approver.id, before, after)
    return {"id": approver.id}


async def set_approver_active(actor: Actor, approver_id: int, active: bool) -> None:
    """Withdraw an approver (or give the role back): they no longer decide, nor are told of,
    any step; steps they decided stay theirs."""
    async with in_transaction() as conn:
        approver = await Approver.filter(id=approver_id).using_db(conn).select_for_update().get_or_none()
        if approver is None:
            raise ApprovalsError.APPROVER_NOT_FOUND.error()
        person = await accounts.person_summary(approver.person_id, using_db=conn)
        unit = (await accounts.units_by_id([approver.unit_id]))[approver.unit_id]
        before = _approver_audit(person, unit, approver)
        approver.is_active = active
        await approver.save(using_db=conn, update_fields=["is_active"])
        action = "approvals.assign_approver" if active else "approvals.withdraw_approver"
        await record(conn, actor, action, "approver", approver.id, before, _approver_audit(person, unit, approver))


async def describe_approvers(ids: list[int]) -> dict[int, str]:
    """Approvers as the audit log names them: "张三 单位负责人"."""
    approvers = await Approver.filter(id__in=ids)
    people = {p.id: p.name for p in await accounts.people_summaries({a.person_id for a in approvers})}
    return {a.id: f"{people.get(a.person_id, '')} {a.role.label}" for a in approvers}
