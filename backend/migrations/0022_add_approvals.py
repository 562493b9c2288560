import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from backend.approvals.models import ApprovalState, ApproverRole, StepState


class Migration(migrations.Migration):
    dependencies = [("houqin", "0021_add_subsidy_run_finished_at")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Approval",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("kind", fields.CharField(max_length=64)),
                ("subject_id", fields.IntField()),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="approvals",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "requester",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="requester_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="approvals",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("title", fields.CharField(max_length=100)),
                (
                    "facts",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=ApprovalState.PENDING,
                        description="PENDING: pending\nAPPROVED: approved\nREFUSED: refused\nCANCELLED: cancelled",
                        enum_type=ApprovalState,
                        max_length=16,
                    ),
                ),
                ("current_position", fields.IntField(default=0)),
                ("created_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "approvals_approval",
                "app": "houqin",
                "unique_together": (("kind", "subject_id"),),
                "pk_attr": "id",
                "table_description": "The approval of one request (`kind`, `subject_id`) of a unit's requester, with the facts",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ApprovalFlow",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("kind", fields.CharField(max_length=64)),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="approval_flows",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("unit_key", fields.IntField()),
            ],
            options={
                "table": "approvals_flow",
                "app": "houqin",
                "unique_together": (("kind", "unit_key"),),
                "pk_attr": "id",
                "table_description": "The chain of steps a kind of request takes (审批流程): with `unit`, for requests of that",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ApprovalFlowStep",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "flow",
                    fields.ForeignKeyField(
                        "houqin.ApprovalFlow",
                        source_field="flow_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="steps",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("position", fields.IntField()),
                (
                    "role",
                    fields.CharEnumField(
                        description="UNIT_LEADER: unit_leader\nLEADER_IN_CHARGE: leader_in_charge\nAUTHORITY: authority",
                        enum_type=ApproverRole,
                        max_length=32,
                    ),
                ),
                ("condition", fields.CharField(default="", max_length=32)),
                ("title", fields.CharField(max_length=30)),
            ],
            options={
                "table": "approvals_flow_step",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": 'A step of a flow: taken by an approver in `role`, always (`condition` "") or only when the',
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ApprovalStep",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "approval",
                    fields.ForeignKeyField(
                        "houqin.Approval",
                        source_field="approval_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="steps",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("position", fields.IntField()),
                (
                    "role",
                    fields.CharEnumField(
                        description="UNIT_LEADER: unit_leader\nLEADER_IN_CHARGE: leader_in_charge\nAUTHORITY: authority",
                        enum_type=ApproverRole,
                        max_length=32,
                    ),
                ),
                ("condition", fields.CharField(default="", max_length=32)),
                ("title", fields.CharField(max_length=30)),
                (
                    "state",
                    fields.CharEnumField(
                        default=StepState.WAITING,
                        description="WAITING: waiting\nAPPROVED: approved\nREFUSED: refused",
                        enum_type=StepState,
                        max_length=16,
                    ),
                ),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="approval_decisions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("comment", fields.CharField(default="", max_length=500)),
            ],
            options={
                "table": "approvals_step",
                "app": "houqin",
                "unique_together": (("approval", "position"),),
                "pk_attr": "id",
                "table_description": "A step an approval takes. Steps whose condition the request's facts do not meet are never",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Approver",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="approver_roles",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        description="UNIT_LEADER: unit_leader\nLEADER_IN_CHARGE: leader_in_charge\nAUTHORITY: authority",
                        enum_type=ApproverRole,
                        max_length=32,
                    ),
                ),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="approvers",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "approvals_approver",
                "app": "houqin",
                "unique_together": (("person", "role", "unit"),),
                "pk_attr": "id",
                "table_description": "A person who approves, in `role`, for `unit` and every unit below it (审批人).",
            },
            bases=["Model"],
        ),
    ]
