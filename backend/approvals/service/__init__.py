"""Approval chains (审批流) any module uses for its requests (a car trip, an asset transfer).

A module declares the kinds of request it has approved (`Module.approval_kinds`: a title, the
facts that can add a step, the function told of the outcome, the mini-program page). When a
request is made, it calls `start` in its own transaction with the request as a `Subject` and the
facts it comes with (出市, 超出额度); the chain is the flow of the nearest unit up the request's
unit tree that has one for the kind, else the kind's default flow, else one step by the unit
leader (单位审批): a fresh system never lets a request through unapproved. Only the flow's
steps whose condition the facts meet are made (with none left, again 单位审批), so no step is
ever skipped: each made step is
decided in order (`decide`), by an active approver of the step's role over the request's unit
or a unit above it, who is neither the requester nor the decider of another step of it, and
only while the approval is pending (a cancelled one refuses every decision). No console role
decides, the super admin included. The last approval, or any refusal, calls the kind's
`decided` in the deciding transaction; every decision is in the audit log, and the approvers
of the next step are sent a notice (template approvals.pending).

The console sets up flows and approvers (audited) through the functions at the end.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import people as accounts
from backend.approvals.errors import ApprovalsError
from backend.approvals.models import (
    Approval,
    ApprovalFlow,
    ApprovalFlowStep,
    ApprovalOutcome,
    ApprovalState,
    ApprovalStep,
    Approver,
    ApproverRole,
    StepState,
)
from backend.core.audit import Actor, record
from backend.core.modules import ApprovalKind, approval_kinds, resolve
from backend.core.permissions import Scope
from backend.core.timeutil import day_start
from backend.modules import modules
from backend.notices import service as outbox

TEMPLATE = "approvals.pending"
# The chain of a kind no flow has been set up for: its unit's leader approves.
BUILT_IN_STEPS = ((ApproverRole.UNIT_LEADER, "", "单位审批"),)
MAX_STEPS = 10
MAX_COMMENT = 500
ALWAYS = "始终"


def kinds() -> dict[str, ApprovalKind]:
    """The approval kinds the active modules declare, by name."""
    return approval_kinds(modules())


def kind_of(name: str) -> ApprovalKind:
    found = kinds().get(name)
    if found is None:
        raise ApprovalsError.KIND_NOT_FOUND.error()
    return found


@dataclass(frozen=True)
class Subject:
    """The request to approve, as its module names it: `kind` one it declares, `id` its own."""

    kind: str
    id: int
    unit_id: int
    requester_id: int
    title: str


@dataclass(frozen=True)
class StepView:
    position: int
    role: str
    role_label: str
    title: str
    condition: str
    condition_label: str
    state: str
    state_label: str
    decided_by: dict | None  # {"id", "name"}
    decided_at: datetime | None
    comment: str


@dataclass(frozen=True)
class ApprovalView:
    id: int
    kind: str
    kind_title: str
    subject_id: int
    unit_id: int
    unit_name: str
    requester: dict  # {"id", "name"}
    title: str
    facts: tuple[str, ...]
    fact_labels: tuple[str, ...]
    state: str
    state_label: str
    current_position: int
    created_at: datetime
    decided_at: datetime | None
    steps: tuple[StepView, ...]

    @property
    def current_step(self) -> StepView | None:
        return next((s for s in self.steps if s.position == self.current_position), None)

    def json(self) -> dict:
        """The view as the API answers it (times in ISO 8601)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "kind_title": self.kind_title,
            "subject_id": self.subject_id,
            "unit": {"id": self.unit_id, "name": self.unit_name},
            "requester": self.requester,
            "title": self.title,
            "facts": list(self.fact_labels),
            "state": self.state,
            "state_label": self.state_label,
            "current_position": self.current_position,
            "created_at": self.created_at.isoformat(),
            "decided_at": self.decided_at and self.decided_at.isoformat(),
            "steps": [
                {
                    "position": s.position,
                    "role_label": s.role_label,
                    "title": s.title,
                    "condition_label": s.condition_label,
                    "state": s.state,
                    "state_label": s.state_label,
                    "decided_by": s.decided_by,
                    "decided_at": s.decided_at and s.decided_at.isoformat(),
                    "comment": s.comment,
                }
                for s in self.steps
            ],
        }


def _condition_label(kind: ApprovalKind | None, condition: str) -> str:
    if not condition:
        return ALWAYS
    return kind.conditions.get(condition, condition) if kind else condition


async def _views(approvals: list[Approval], conn: Any = None) -> list[ApprovalView]:
    """The approvals with their steps, people and units, read in a few queries."""
    if not approvals:
        return []
    steps: dict[int, list[ApprovalStep]] = {}
    for step in (
        await ApprovalStep.filter(approval_id__in=[a.id for a in approvals]).using_db(conn).order_by("position")
    ):
        steps.setdefault(step.approval_id, []).append(step)
    person_ids = {a.requester_id for a in approvals} | {
        s.decided_by_id for listed in steps.values() for s in listed if s.decided_by_id
    }
    names = {p.id: p.name for p in await accounts.people_summaries(person_ids)}
    units = await accounts.units_by_id({a.unit_id for a in approvals})
    declared = kinds()
    views = []
    for a in approvals:
        kind = declared.get(a.kind)
        views.append(
            ApprovalView(
                id=a.id,
                kind=a.kind,
                kind_title=kind.title if kind else a.kind,
                subject_id=a.subject_id,
                unit_id=a.unit_id,
                unit_name=units[a.unit_id].name if a.unit_id in units else "",
                requester={"id": a.requester_id, "name": names.get(a.requester_id, "")},
                title=a.title,
                facts=tuple(a.facts),
                fact_labels=tuple(_condition_label(kind, f) for f in a.facts),
                state=a.state.value,
                state_label=a.state.label,
                current_position=a.current_position,
                created_at=a.created_at,
                decided_at=a.decided_at,
                steps=tuple(
                    StepView(
                        position=s.position,
                        role=s.role.value,
                        role_label=s.role.label,
                        title=s.title,
                        condition=s.condition,
                        condition_label=_condition_label(kind, s.condition),
                        state=s.state.value,
                        state_label=s.state.label,
                        decided_by={"id": s.decided_by_id, "name": names.get(s.decided_by_id, "")}
                        if s.decided_by_id
                        else None,
                        decided_at=s.decided_at,
                        comment=s.comment,
                    )
                    for s in steps.get(a.id, [])
                ),
            )
        )
    return views


async def _view(approval: Approval, conn: Any = None) -> ApprovalView:
    return (await _views([approval], conn))[0]


# ---- who approves ------------------------------------------------------------------------------


async def _unit_path(unit_id: int) -> str:
    unit = (await accounts.units_by_id([unit_id])).get(unit_id)
    if unit is None:
        raise ApprovalsError.UNIT_NOT_FOUND.error()
    return unit.path


async def _covering(rows: Iterable[tuple[int, int]], unit_path: str) -> set[int]:
    """Of (person id, approver unit id) pairs, the active people whose unit is the request's
    unit or one above it (its path a prefix of the request unit's path)."""
    listed = list(rows)
    units = await accounts.units_by_id({unit_id for _, unit_id in listed})
    covering = {p for p, u in listed if u in units and unit_path.startswith(units[u].path)}
    return {p.id for p in await accounts.people_summaries(covering) if p.is_active}


async def approvers_of(role: ApproverRole, unit_path: str) -> set[int]:
    """Everyone who may decide a step of `role` for a request of the unit at `unit_path`."""
    rows = await Approver.filter(role=role, is_active=True).values_list("person_id", "unit_id")
    return await _covering(rows, unit_path)


async def _holds(person_id: int, role: ApproverRole | None, unit_path: str) -> bool:
    """Whether the person is an active approver in `role` (None: in any role) for the unit."""
    held = Approver.filter(person_id=person_id, is_active=True)
    rows = await (held.filter(role=role) if role else held).values_list("person_id", "unit_id")
    return bool(await _covering(rows, unit_path))


async def _notify_step(conn: Any, approval: Approval, step: ApprovalStep, unit_path: str, at: datetime) -> None:
    """A notice to each approver who can decide `step`: not the requester, nor one who decided
    an earlier step (they are refused, so telling them would only mislead)."""
    deciders = set(
        await ApprovalStep.filter(approval_id=approval.id, decided_by_id__isnull=False)
        .using_db(conn)
        .values_list("decided_by_id", flat=True)
    )
    for person_id in sorted(await approvers_of(step.role, unit_path) - deciders - {approval.requester_id}):
        await outbox.queue(conn, TEMPLATE, person_id, approval.id, at)


async def _flow_steps(kind: str, unit_path: str, conn: Any = None) -> list[tuple[ApproverRole, str, str]]:
    """(role, condition, title) of the chain a request of the unit at `unit_path` takes."""
    flows = await ApprovalFlow.filter(kind=kind).using_db(conn)
    units = await accounts.units_by_id({f.unit_id for f in flows if f.unit_id})
    nearest = max(
        (f for f in flows if f.unit_id in units and unit_path.startswith(units[f.unit_id].path)),
        key=lambda f: len(units[f.unit_id].path),
        default=None,
    ) or next((f for f in flows if f.unit_id is None), None)
    if nearest is None:
        return list(BUILT_IN_STEPS)
    steps = await ApprovalFlowStep.filter(flow_id=nearest.id).using_db(conn).order_by("position", "id")
    return [(s.role, s.condition, s.title) for s in steps]


async def _tell(conn: Any, kind: str, subject_id: int, outcome: ApprovalOutcome, at: datetime) -> None:
    await resolve(kind_of(kind).decided)(conn, subject_id, outcome, at)


# ---- the chain ---------------------------------------------------------------------------------


async def start(conn: Any, subject: Subject, facts: frozenset[str], at: datetime) -> ApprovalView:
    """Start the approval of `subject` on `conn` (the caller's transaction, where the request is
    written). `facts` are codes the kind declares; one it does not is a programming error."""
    kind = kind_of(subject.kind)
    unknown = facts - kind.conditions.keys()
    if unknown:
        raise ValueError(f"approval kind {subject.kind!r} declares no condition {sorted(unknown)}")
    if await Approval.filter(kind=subject.kind, subject_id=subject.id).using_db(conn).exists():
        raise ApprovalsError.ALREADY_STARTED.error()
    unit_path = await _unit_path(subject.unit_id)
    # A flow emptied, or made only of steps these facts do not call for, still has the unit's
    # leader approve: no configuration lets a request through unapproved.
    chain = [s for s in await _flow_steps(subject.kind, unit_path, conn) if not s[1] or s[1] in facts]
    chain = chain or list(BUILT_IN_STEPS)
    approval = await Approval.create(
        kind=subject.kind,
        subject_id=subject.id,
        unit_id=subject.unit_id,
        requester_id=subject.requester_id,
        title=subject.title[:100],
        facts=sorted(facts),
        state=ApprovalState.PENDING,
        current_position=1,
        created_at=at,
        using_db=conn,
    )
    steps = [
        await ApprovalStep.create(
            approval_id=approval.id, position=n, role=role, condition=condition, title=title, using_db=conn
        )
        for n, (role, condition, title) in enumerate(chain, start=1)
    ]
    await _notify_step(conn, approval, steps[0], unit_path, at)
    return await _view(approval, conn)


def _decision_actor(name: str, employee_no: str) -> Actor:
    """An approver is a cadre, not a console admin: the audit log names them by name and number."""
    return Actor(admin_id=None, name=f"{name}（审批人 {employee_no}）"[:64])


async def decide(
    approval_id: int, position: int, person_id: int, approve: bool, comment: str, at: datetime
) -> ApprovalView:
    """`person_id` approves or refuses step `position` of the approval. The same decision sent
    again by the same person (a double tap, a retry after a lost answer) changes nothing and
    answers the approval as it stands."""
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise ApprovalsError.COMMENT_TOO_LONG.error()
    async with in_transaction() as conn:
        approval = await Approval.filter(id=approval_id).using_db(conn).select_for_update().get_or_none()
        if approval is None:
            raise ApprovalsError.APPROVAL_NOT_FOUND.error()
        steps = {s.position: s for s in await ApprovalStep.filter(approval_id=approval.id).using_db(conn)}
        step = steps.get(position)
        wanted = StepState.APPROVED if approve else StepState.REFUSED
        if step is not None and step.decided_by_id == person_id and step.state == wanted:
            return await _view(approval, conn)
        # Whoever approves for none of the request's units learns nothing of its state.
        unit_path = await _unit_path(approval.unit_id)
        role = step.role if step is not None else steps[min(steps)].role if steps else ApproverRole.UNIT_LEADER
        if person_id != approval.requester_id and not await _holds(person_id, None, unit_path):
            raise ApprovalsError.NOT_APPROVER.error(role=role.label)
        if approval.state == ApprovalState.CANCELLED:
            raise ApprovalsError.CANCELLED.error()
        if approval.state != ApprovalState.PENDING:
            raise ApprovalsError.ALREADY_DECIDED.error(state=approval.state.label)
        if step is None or position != approval.current_position:
            if step is not None and step.state != StepState.WAITING:
                decider = await accounts.person_summary(step.decided_by_id) if step.decided_by_id else None
                raise ApprovalsError.STEP_DECIDED.error(
                    position=position, name=decider.name if decider else "他人", state=step.state.label
                )
            current = steps[approval.current_position]
            raise ApprovalsError.NOT_CURRENT_STEP.error(
                current=current.position, title=current.title, position=position
            )
        if person_id == approval.requester_id:
            raise ApprovalsError.OWN_REQUEST.error()
        if any(s.decided_by_id == person_id for s in steps.values()):
            raise ApprovalsError.TWO_STEPS.error()
        if not await _holds(person_id, step.role, unit_path):
            raise ApprovalsError.NOT_APPROVER.error(role=step.role.label)
        if not approve and not comment:
            raise ApprovalsError.COMMENT_REQUIRED.error()

        before = {"state": approval.state.value, "current_position": approval.current_position}
        step.state, step.decided_by_id, step.decided_at, step.comment = wanted, person_id, at, comment
        await step.save(using_db=conn, update_fields=["state", "decided_by_id", "decided_at", "comment"])
        following = steps.get(position + 1)
        if approve and following is not None:
            approval.current_position = following.position
        else:
            approval.state = ApprovalState.APPROVED if approve else ApprovalState.REFUSED
            approval.current_position, approval.decided_at = 0, at
        await approval.save(using_db=conn, update_fields=["state", "current_position", "decided_at"])
        person = await accounts.person_summary(person_id, using_db=conn)
        await record(
            conn,
            _decision_actor(person.name, person.employee_no),
            "approvals.approve_step" if approve else "approvals.refuse_step",
            "approval",
            approval.id,
            before,
            {
                "state": approval.state.value,
                "current_position": approval.current_position,
                "step": f"第 {position} 步 {step.title}",
                "comment": comment,
            },
        )
        if approval.state == ApprovalState.PENDING:
            assert following is not None
            await _notify_step(conn, approval, following, unit_path, at)
        else:
            outcome = ApprovalOutcome.APPROVED if approve else ApprovalOutcome.REFUSED
            await _tell(conn, approval.kind, approval.subject_id, outcome, at)
        return await _view(approval, conn)


async def lock_of_subject(conn: Any, kind: str, subject_id: int) -> None:
    """Lock a subject's approval on `conn`. A module that changes its subject together with the
    approval (a withdrawal) takes this lock before its own row, in the order `decide` takes them
    (the approval, then the subject in `decided`), so the two never wait on each other."""
    await Approval.filter(kind=kind, subject_id=subject_id).using_db(conn).select_for_update().first()


async def cancel(conn: Any, kind: str, subject_id: int, at: datetime) -> ApprovalView:
    """The requester withdrew the request: its pending approval is cancelled on `conn` (the
    caller's transaction), and every decision after it is refused."""
    approval = await Approval.filter(kind=kind, subject_id=subject_id).using_db(conn).select_for_update().get_or_none()
    if approval is None or approval.state != ApprovalState.PENDING:
        raise ApprovalsError.NO_PENDING_APPROVAL.error()
    approval.state, approval.current_position, approval.decided_at = ApprovalState.CANCELLED, 0, at
    await approval.save(using_db=conn, update_fields=["state", "current_position", "decided_at"])
    return await _view(approval, conn)


async def of_subject(kind: str, subject_id: int, conn: Any = None) -> ApprovalView | None:
    """The approval of a subject, read on `conn` (the caller's transaction) when given."""
    approval = await Approval.get_or_none(kind=kind, subject_id=subject_id).using_db(conn)
    return None if approval is None else await _view(approval, conn)


async def of_subjects(kind: str, subject_ids: Iterable[int], conn: Any = None) -> dict[int, ApprovalView]:
    """The approvals of many subjects of one kind, by subject id (one query for the approvals,
    one for their steps), read on `conn` when given; a subject with none is left out."""
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    found = await Approval.filter(kind=kind, subject_id__in=ids).using_db(conn)
    return {view.subject_id: view for view in await _views(found, conn)}


async def get(approval_id: int) -> ApprovalView:
    approval = await Approval.get_or_none(id=approval_id)
    if approval is None:
        raise ApprovalsError.APPROVAL_NOT_FOUND.error()
    return await _view(approval)


async def _reach(person_id: int) -> dict[ApproverRole, set[int]]:
    """The units (ids) each role the person holds lets them approve for."""
    held = await Approver.filter(person_id=person_id, is_active=True).values_list("role", "unit_id")
    if not held:
        return {}
    units = await accounts.units_by_id({unit_id for _, unit_id in held})
    reach: dict[ApproverRole, set[int]] = {}
    for role, unit_id in held:
        if unit_id in units:
            within = await accounts.units_within(Scope.units([units[unit_id].path]))
            reach.setdefault(ApproverRole(role), set()).update(within or [])
    return reach


async def pending_for(person_id: int, limit: int = 200) -> list[ApprovalView]:
    """The approvals waiting now for a step `person_id` may decide, oldest first (待我审批)."""
    reach = await _reach(person_id)
    if not reach or not any(p.is_active for p in await accounts.people_summaries([person_id])):
        return []
    candidates = (
        await Approval.filter(state=ApprovalState.PENDING, unit_id__in=sorted(set().union(*reach.values())))
        .exclude(requester_id=person_id)
        .order_by("created_at", "id")
    )
    steps = await ApprovalStep.filter(approval_id__in=[a.id for a in candidates]).values(
        "approval_id", "position", "role", "decided_by_id"
    )
    current = {(s["approval_id"], s["position"]): ApproverRole(s["role"]) for s in steps}
    decided_by_them = {s["approval_id"] for s in steps if s["decided_by_id"] == person_id}
    mine = [
        a
        for a in candidates
        if a.id not in decided_by_them and a.unit_id in reach.get(current[(a.id, a.current_position)], set())
    ]
    return await _views(mine[:limit])


async def visible_to(approval_id: int, person_id: int) -> ApprovalView:
    """The approval as its requester, one who decided a step of it, or one who may decide its
    current step sees it; to anyone else it does not exist."""
    view = await get(approval_id)
    involved = {view.requester["id"]} | {s.decided_by["id"] for s in view.steps if s.decided_by}
    current = view.current_step
    if person_id in involved or (
        current is not None
        and person_id in await approvers_of(ApproverRole(current.role), await _unit_path(view.unit_id))
    ):
        return view
    raise ApprovalsError.APPROVAL_NOT_FOUND.error()


async def approval_durations(kind: str, since: date, until: date) -> list[dict]:
    """How fast approvals of `kind` decided from `since` to `until` (business days) went, per
    unit: how many were approved, and the average and 90th percentile of the minutes from
    request to approval (审批时效)."""
    rows = await Approval.filter(
        kind=kind,
        state=ApprovalState.APPROVED,
        decided_at__gte=day_start(since),
        decided_at__lt=day_start(until + timedelta(days=1)),
    ).values_list("unit_id", "created_at", "decided_at")
    minutes: dict[int, list[float]] = {}
    for unit_id, created_at, decided_at in rows:
        minutes.setdefault(unit_id, []).append((decided_at - created_at).total_seconds() / 60)
    units = await accounts.units_by_id(minutes)
    found = []
    for unit_id, spans in minutes.items():
        spans.sort()
        found.append(
            {
                "unit_id": unit_id,
                "unit_name": units[unit_id].name if unit_id in units else "",
                "count": len(spans),
                "average_minutes": round(sum(spans) / len(spans), 1),
                "p90_minutes": round(spans[math.ceil(0.9 * len(spans)) - 1], 1),
            }
        )
    return sorted(found, key=lambda r: units[r["unit_id"]].path if r["unit_id"] in units else "")


# ---- the console's record ----------------------------------------------------------------------


async def approvals_query(scope: Scope, kind: str = "", state: str = "", unit_id: int | None = None) -> QuerySet:
    """Approvals of the units `scope` reaches, filtered; for the console's table."""
    query = Approval.all()
    within = await accounts.units_within(scope)
    if within is not None:
        query = query.filter(unit_id__in=within)
    if kind:
        query = query.filter(kind=kind)
    if state:
        query = query.filter(state=state)
    if unit_id:
        query = query.filter(unit_id=unit_id)
    return query


async def get_in_scope(scope: Scope, approval_id: int) -> ApprovalView:
    view = await get(approval_id)
    if not scope.reaches_unit(await _unit_path(view.unit_id)):
        raise ApprovalsError.APPROVAL_NOT_FOUND.error()
    return view
