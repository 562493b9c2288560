"""Request shapes of the approvals API (mini-program) and console forms, and the shapes of its
answers (published in /openapi.json)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from backend.approvals.models import ApproverRole


class DecideIn(BaseModel):
    """An approver's decision on step `position` (the one they were shown): a refusal needs a
    comment."""

    position: int = Field(ge=1, le=100)
    approve: bool
    comment: str = Field(default="", max_length=500)


class ApproverIn(BaseModel):
    employee_no: str = Field(min_length=1, max_length=32)
    role: ApproverRole
    unit_code: str = Field(min_length=1, max_length=32)


class FlowIn(BaseModel):
    """A new flow: the kind's default (no unit) or a unit's own."""

    unit_code: str = Field(default="", max_length=32)


class FlowStepIn(BaseModel):
    role: ApproverRole
    condition: str = Field(default="", max_length=32)
    title: str = Field(min_length=2, max_length=30)


class PersonRef(BaseModel):
    id: int
    name: str


class UnitRef(BaseModel):
    id: int
    name: str


class ApprovalStepOut(BaseModel):
    position: int
    role_label: str = Field(description="审批角色")
    title: str
    condition_label: str = Field(description="何时需要这一步（“始终”或条件名称）")
    state: str
    state_label: str
    decided_by: PersonRef | None
    decided_at: str | None
    comment: str


class ApprovalOut(BaseModel):
    """An approval with its steps; `current_position` is the step waiting for a decision (0: none)."""

    id: int
    kind: str
    kind_title: str
    subject_id: int
    unit: UnitRef
    requester: PersonRef
    title: str
    facts: list[str] = Field(description="申请所带的条件（如“出市”）")
    state: str
    state_label: str
    current_position: int
    created_at: str
    decided_at: str | None
    steps: list[ApprovalStepOut]
