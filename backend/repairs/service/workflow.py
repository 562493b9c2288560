"""The life of a repair report, in one place: which step may follow which state, and who may
take it. Every service function asks `step()` before it changes a report.

    submitted ──accept──▶ accepted ──start──▶ in_progress ──resolve──▶ resolved ──confirm──▶ closed
        │                  │  ▲ reassign            │ reassign            │ ▲ auto_close ──────▶ closed
        │                  │  └────────── reopen ───┴─────────────────────┘
        ├─reject / mark_duplicate / cancel─▶ rejected / duplicate / cancelled (also from accepted)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from backend.repairs.errors import RepairsError
from backend.repairs.models import ReportState as S


class Role(StrEnum):
    REPORTER = "reporter"  # the cadre who filed the report
    TECHNICIAN = "technician"  # the technician it is assigned to
    DISPATCHER = "dispatcher"  # an admin with repairs.dispatch_report
    SYSTEM = "system"  # scheduled jobs and automatic assignment


@dataclass(frozen=True)
class Step:
    action: str
    label: str  # the verb as a person reads it: "不能{label}"
    sources: tuple[S, ...]
    target: S | None  # None: the state stays (a reassignment, an acknowledgement)
    roles: frozenset[Role]
    needs_note: bool = False
    notifies_reporter: bool = False


_STEPS = (
    Step("submit", "提交", (), S.SUBMITTED, frozenset({Role.REPORTER})),
    Step(
        "accept",
        "受理派工",
        (S.SUBMITTED,),
        S.ACCEPTED,
        frozenset({Role.DISPATCHER, Role.SYSTEM}),
        notifies_reporter=True,
    ),
    Step("reassign", "改派", (S.ACCEPTED, S.IN_PROGRESS), None, frozenset({Role.DISPATCHER})),
    Step("acknowledge", "接单", (S.ACCEPTED,), None, frozenset({Role.TECHNICIAN})),
    Step("start", "开始维修", (S.ACCEPTED,), S.IN_PROGRESS, frozenset({Role.TECHNICIAN}), notifies_reporter=True),
    Step(
        "resolve",
        "完成维修",
        (S.IN_PROGRESS,),
        S.RESOLVED,
        frozenset({Role.TECHNICIAN}),
        needs_note=True,
        notifies_reporter=True,
    ),
    Step("confirm", "确认评价", (S.RESOLVED,), S.CLOSED, frozenset({Role.REPORTER})),
    Step("auto_close", "自动完结", (S.RESOLVED,), S.CLOSED, frozenset({Role.SYSTEM}), notifies_reporter=True),
    Step("reopen", "重新打开", (S.RESOLVED,), S.ACCEPTED, frozenset({Role.REPORTER, Role.DISPATCHER}), needs_note=True),
    Step(
        "reject",
        "不予受理",
        (S.SUBMITTED, S.ACCEPTED),
        S.REJECTED,
        frozenset({Role.DISPATCHER}),
        needs_note=True,
        notifies_reporter=True,
    ),
    Step(
        "mark_duplicate",
        "标记为重复",
        (S.SUBMITTED, S.ACCEPTED),
        S.DUPLICATE,
        frozenset({Role.DISPATCHER}),
        needs_note=True,
        notifies_reporter=True,
    ),
    Step(
        "cancel",
        "撤销",
        (S.SUBMITTED, S.ACCEPTED),
        S.CANCELLED,
        frozenset({Role.REPORTER, Role.DISPATCHER}),
        needs_note=True,
    ),
)
STEPS = {s.action: s for s in _STEPS}
ACTION_LABELS = {s.action: s.label for s in _STEPS} | {"overdue": "超时提醒", "use_parts": "登记用料"}


def step(action: str, state: S, role: Role, note: str = "") -> Step:
    """The step `action` from `state` taken as `role`, or the refusal that says why not."""
    found = STEPS[action]
    if role not in found.roles:
        raise RepairsError.NOT_YOURS.error(action=found.label)
    if state not in found.sources:
        raise RepairsError.ILLEGAL_TRANSITION.error(state=state.label, action=found.label)
    if found.needs_note and not note.strip():
        raise RepairsError.NOTE_REQUIRED.error()
    return found


def allowed_actions(state: S, roles: set[Role]) -> list[str]:
    """What the people in `roles` may do next (the buttons a page shows)."""
    return [s.action for s in _STEPS if state in s.sources and roles & s.roles and s.action != "auto_close"]
