"""Tables of the approvals module: who approves for which unit (审批人), the configured chain of
each kind of request (审批流程: a default one, and overrides per unit), and each request's
approval with the steps its facts made it take."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class ApproverRole(LabelledEnum):
    UNIT_LEADER = "unit_leader", "单位负责人"
    LEADER_IN_CHARGE = "leader_in_charge", "分管领导"
    # The bureau's centre that runs the kind of request (公车管理中心 for cars).
    AUTHORITY = "authority", "主管部门"


class ApprovalState(LabelledEnum):
    PENDING = "pending", "审批中"
    APPROVED = "approved", "已通过"
    REFUSED = "refused", "已驳回"
    # The requester withdrew the request (申请人撤回): the word its module uses for the request.
    CANCELLED = "cancelled", "已撤回"


class ApprovalOutcome(LabelledEnum):
    """What a decided chain tells the module whose request it was."""

    APPROVED = "approved", "已通过"
    REFUSED = "refused", "已驳回"


class StepState(LabelledEnum):
    WAITING = "waiting", "待审批"
    APPROVED = "approved", "同意"
    REFUSED = "refused", "驳回"


class Approver(Model):
    """A person who approves, in `role`, for `unit` and every unit below it (审批人)."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="approver_roles", on_delete=fields.RESTRICT)
    role = fields.CharEnumField(ApproverRole, max_length=32)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="approvers", on_delete=fields.RESTRICT)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "approvals_approver"
        unique_together = (("person", "role", "unit"),)


class ApprovalFlow(Model):
    """The chain of steps a kind of request takes (审批流程): with `unit`, for requests of that
    unit and the units below it that have none of their own, without it the kind's default."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="approval_flows", null=True, on_delete=fields.RESTRICT)
    # The unit's id, 0 for the default: one flow per kind and unit, the default included (a
    # unique constraint on the nullable unit would let any number of defaults through).
    unit_key = fields.IntField()

    class Meta:
        table = "approvals_flow"
        unique_together = (("kind", "unit_key"),)


class ApprovalFlowStep(Model):
    """A step of a flow: taken by an approver in `role`, always (`condition` "") or only when the
    request comes with the fact `condition` (出市, 超出额度)."""

    id = fields.IntField(primary_key=True)
    flow = fields.ForeignKeyField("houqin.ApprovalFlow", related_name="steps", on_delete=fields.CASCADE)
    position = fields.IntField()
    role = fields.CharEnumField(ApproverRole, max_length=32)
    condition = fields.CharField(max_length=32, default="")
    title = fields.CharField(max_length=30)

    class Meta:
        table = "approvals_flow_step"


class Approval(Model):
    """The approval of one request (`kind`, `subject_id`) of a unit's requester, with the facts
    it was started with. `current_position` is the step waiting for a decision (0 once none is)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=64)
    subject_id = fields.IntField()
    unit = fields.ForeignKeyField("houqin.Unit", related_name="approvals", on_delete=fields.RESTRICT)
    requester = fields.ForeignKeyField("houqin.Person", related_name="approvals", on_delete=fields.RESTRICT)
    title = fields.CharField(max_length=100)
    facts: fields.JSONField[list[str]] = fields.JSONField(default=list)
    state = fields.CharEnumField(ApprovalState, max_length=16, default=ApprovalState.PENDING)
    current_position = fields.IntField(default=0)
    created_at = fields.DatetimeField(db_index=True)
    decided_at = fields.DatetimeField(null=True)

    class Meta:
        table = "approvals_approval"
        unique_together = (("kind", "subject_id"),)


class ApprovalStep(Model):
    """A step an approval takes. Steps whose condition the request's facts do not meet are never
    made, so there is no skipped step: every step made must be decided in order."""

    id = fields.IntField(primary_key=True)
    approval = fields.ForeignKeyField("houqin.Approval", related_name="steps", on_delete=fields.CASCADE)
    position = fields.IntField()
    role = fields.CharEnumField(ApproverRole, max_length=32)
    condition = fields.CharField(max_length=32, default="")
    title = fields.CharField(max_length=30)
    state = fields.CharEnumField(StepState, max_length=16, default=StepState.WAITING)
    decided_by = fields.ForeignKeyField(
        "houqin.Person", related_name="approval_decisions", null=True, on_delete=fields.RESTRICT
    )
    decided_at = fields.DatetimeField(null=True)
    comment = fields.CharField(max_length=500, default="")

    class Meta:
        table = "approvals_step"
        unique_together = (("approval", "position"),)
