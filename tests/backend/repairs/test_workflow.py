"""The workflow table: every step from every state, as every role, is allowed exactly where the
table says, and refused with its reason everywhere else."""

import pytest

from backend.core.errors import AppError
from backend.repairs.models import ReportState as S
from backend.repairs.service.workflow import STEPS, Role, allowed_actions, step

ALLOWED = {
    ("accept", S.SUBMITTED, Role.DISPATCHER),
    ("accept", S.SUBMITTED, Role.SYSTEM),
    ("reassign", S.ACCEPTED, Role.DISPATCHER),
    ("reassign", S.IN_PROGRESS, Role.DISPATCHER),
    ("acknowledge", S.ACCEPTED, Role.TECHNICIAN),
    ("start", S.ACCEPTED, Role.TECHNICIAN),
    ("resolve", S.IN_PROGRESS, Role.TECHNICIAN),
    ("confirm", S.RESOLVED, Role.REPORTER),
    ("auto_close", S.RESOLVED, Role.SYSTEM),
    ("reopen", S.RESOLVED, Role.REPORTER),
    ("reopen", S.RESOLVED, Role.DISPATCHER),
    *{(a, s, Role.DISPATCHER) for a in ("reject", "mark_duplicate", "cancel") for s in (S.SUBMITTED, S.ACCEPTED)},
    ("cancel", S.SUBMITTED, Role.REPORTER),
    ("cancel", S.ACCEPTED, Role.REPORTER),
}
EVERY = [(a, s, r) for a in STEPS if a != "submit" for s in S for r in Role]


@pytest.mark.parametrize("action, state, role", EVERY, ids=lambda v: str(v))
def test_each_step_is_allowed_only_where_the_table_says(action, state, role):
    if (action, state, role) in ALLOWED:
        assert step(action, state, role, note="原因").target in (None, *S)
        return
    with pytest.raises(AppError) as refused:
        step(action, state, role, note="原因")
    wrong_role = role not in STEPS[action].roles
    assert refused.value.code == ("repairs.not_allowed" if wrong_role else "repairs.illegal_transition")


def test_a_step_that_needs_a_reason_refuses_without_one():
    with pytest.raises(AppError) as refused:
        step("reject", S.SUBMITTED, Role.DISPATCHER, note="  ")
    assert refused.value.code == "repairs.note_required"


def test_the_steps_follow_the_report_to_its_end():
    assert step("accept", S.SUBMITTED, Role.DISPATCHER).target == S.ACCEPTED
    assert step("start", S.ACCEPTED, Role.TECHNICIAN).target == S.IN_PROGRESS
    assert step("resolve", S.IN_PROGRESS, Role.TECHNICIAN, "换了阀门").target == S.RESOLVED
    assert step("reopen", S.RESOLVED, Role.REPORTER, "还在漏").target == S.ACCEPTED
    assert step("confirm", S.RESOLVED, Role.REPORTER).target == S.CLOSED


def test_buttons_shown_are_the_steps_the_role_may_take():
    assert allowed_actions(S.SUBMITTED, {Role.REPORTER}) == ["cancel"]
    assert allowed_actions(S.RESOLVED, {Role.REPORTER}) == ["confirm", "reopen"]
    assert allowed_actions(S.ACCEPTED, {Role.TECHNICIAN}) == ["acknowledge", "start"]
    assert allowed_actions(S.CLOSED, {Role.REPORTER, Role.TECHNICIAN, Role.DISPATCHER}) == []
