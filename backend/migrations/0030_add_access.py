import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from backend.access.models import (
    BlockKind,
    Direction,
    EventSource,
    GateKind,
    HostConfirmation,
    PassKind,
    PlateAlertState,
    StaffVehicleState,
    SubjectKind,
    VisitSource,
    VisitState,
)


class Migration(migrations.Migration):
    dependencies = [("houqin", "0029_add_charging")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Block",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ID_NUMBER: id_number\nPHONE: phone\nPLATE: plate",
                        enum_type=BlockKind,
                        max_length=16,
                    ),
                ),
                ("value_index", fields.CharField(max_length=64)),
                ("value_masked", fields.CharField(max_length=40)),
                ("reason", fields.CharField(max_length=200)),
                ("is_active", fields.BooleanField(default=True)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_blocks",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("lifted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "access_block",
                "app": "houqin",
                "unique_together": (("kind", "value_index"),),
                "pk_attr": "id",
                "table_description": "A blacklist entry: an ID number, phone or plate (by blind index, shown masked) that is",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Gate",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=100)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="PEDESTRIAN: pedestrian\nVEHICLE: vehicle", enum_type=GateKind, max_length=16
                    ),
                ),
                ("direction", fields.CharEnumField(description="IN: in\nOUT: out", enum_type=Direction, max_length=8)),
                ("building_id", fields.IntField(db_index=True)),
                (
                    "device",
                    fields.OneToOneField(
                        "houqin.Device",
                        source_field="device_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_gate",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("relay_uri", fields.CharField(default="", max_length=300)),
                ("relay_state", fields.CharField(default="", max_length=16)),
                ("relay_message", fields.CharField(default="", max_length=300)),
                ("relay_checked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "camera_addresses",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("camera_secret_encrypted", fields.CharField(null=True, max_length=255)),
                ("printer_uri", fields.CharField(default="", max_length=300)),
                ("anti_passback", fields.BooleanField(default=False)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "access_gate",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A gate of a building: a pedestrian gate read by a gate terminal (a kiosk agent in gate mode,",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PlateAlert",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "gate",
                    fields.ForeignKeyField(
                        "houqin.Gate",
                        source_field="gate_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="plate_alerts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("plate_encrypted", fields.CharField(max_length=255)),
                ("plate_index", fields.CharField(max_length=64)),
                ("plate_masked", fields.CharField(max_length=16)),
                ("reason", fields.CharField(max_length=64)),
                (
                    "state",
                    fields.CharEnumField(
                        db_index=True,
                        description="WAITING: waiting\nOPENED: opened\nDISMISSED: dismissed",
                        enum_type=PlateAlertState,
                        max_length=16,
                    ),
                ),
                ("seen_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "handled_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="handled_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_plate_alerts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("handled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "access_plate_alert",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A plate no rule let in, waiting on the guard's page for a decision (open, audited, or not).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Screening",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("enabled", fields.BooleanField(default=False)),
                (
                    "questions",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "measurement",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                (
                    "registrations",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "access_screening",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "The entry screening (e.g. 三问一测两登记) for visitors from outside, one row: whether it is on,",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StaffVehicle",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("plate", fields.CharField(db_index=True, max_length=10)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="access_vehicles",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="access_vehicles",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        description="PENDING: pending\nAPPROVED: approved\nREFUSED: refused\nREVOKED: revoked",
                        enum_type=StaffVehicleState,
                        max_length=16,
                    ),
                ),
                ("from_minute", fields.SmallIntField(default=0)),
                ("to_minute", fields.SmallIntField(default=1440)),
                ("note", fields.CharField(default="", max_length=200)),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_vehicle_decisions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("decided_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "access_staff_vehicle",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A cadre's own car, registered in the mini-program and approved by the gate's staff with the",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="UnitQuota",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "unit",
                    fields.OneToOneField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="access_quota",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("monthly_entries", fields.IntField()),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "access_unit_quota",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "How many staff-car entries a unit's cars may make in a calendar month.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Visit",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=16)),
                (
                    "source",
                    fields.CharEnumField(
                        description="INVITED: invited\nREQUESTED: requested\nWALK_IN: walk_in",
                        enum_type=VisitSource,
                        max_length=16,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        db_index=True,
                        description="AWAITING_VISITOR: awaiting_visitor\nAWAITING_HOST: awaiting_host\nREADY: ready\nINSIDE: inside\nLEFT: left\nNO_SHOW: no_show\nNOT_SIGNED_OUT: not_signed_out\nREFUSED: refused\nREVOKED: revoked",
                        enum_type=VisitState,
                        max_length=20,
                    ),
                ),
                (
                    "host",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="host_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="access_visits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "host_unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="host_unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="access_visits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("visitor_name", fields.CharField(max_length=50)),
                ("phone_encrypted", fields.CharField(null=True, max_length=255)),
                ("phone_index", fields.CharField(null=True, db_index=True, max_length=64)),
                ("id_number_encrypted", fields.CharField(null=True, max_length=255)),
                ("id_number_index", fields.CharField(null=True, db_index=True, max_length=64)),
                ("company", fields.CharField(default="", max_length=100)),
                ("purpose", fields.CharField(default="", max_length=200)),
                (
                    "companions",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("plate_encrypted", fields.CharField(null=True, max_length=255)),
                ("plate_index", fields.CharField(null=True, db_index=True, max_length=64)),
                ("plate_masked", fields.CharField(default="", max_length=16)),
                ("window_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("window_end", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                (
                    "building_ids",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("link_hash", fields.CharField(null=True, unique=True, max_length=64)),
                ("link_expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("link_opened_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("visitor_token_hash", fields.CharField(null=True, unique=True, max_length=64)),
                (
                    "host_confirmed_via",
                    fields.CharEnumField(
                        null=True,
                        description="MINI_PROGRAM: mini_program\nPHONE: phone",
                        enum_type=HostConfirmation,
                        max_length=16,
                    ),
                ),
                ("host_confirmed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("refused_reason", fields.CharField(default="", max_length=200)),
                (
                    "screening",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                (
                    "registered_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="registered_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_walk_ins",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("entered_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("left_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("overstay_alerted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("revoked_reason", fields.CharField(default="", max_length=200)),
                ("purged_at", fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "access_visit",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "One visitor's visit to a host: invited by the host, asked for by the visitor, or registered",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Presence",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("building_id", fields.IntField()),
                (
                    "subject",
                    fields.CharEnumField(
                        description="VISITOR: visitor\nSTAFF: staff\nOFFICIAL_CAR: official_car\nSTAFF_CAR: staff_car\nVISITOR_CAR: visitor_car\nUNKNOWN_PLATE: unknown_plate\nUNKNOWN: unknown",
                        enum_type=SubjectKind,
                        max_length=16,
                    ),
                ),
                ("subject_key", fields.CharField(max_length=80)),
                (
                    "visit",
                    fields.ForeignKeyField(
                        "houqin.Visit",
                        source_field="visit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="presence",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_presence",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("plate_masked", fields.CharField(default="", max_length=16)),
                ("people_count", fields.IntField(default=1)),
                (
                    "gate",
                    fields.ForeignKeyField(
                        "houqin.Gate",
                        source_field="gate_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="presence",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("entered_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "access_presence",
                "app": "houqin",
                "unique_together": (("building_id", "subject_key"),),
                "pk_attr": "id",
                "table_description": "Who is inside a building now: a visitor's party, a member of staff or a car, entered and not",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="VisitPass",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "visit",
                    fields.ForeignKeyField(
                        "houqin.Visit",
                        source_field="visit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="passes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(description="MOBILE: mobile\nSLIP: slip", enum_type=PassKind, max_length=16),
                ),
                (
                    "gate_ids",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("valid_from", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("valid_until", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("max_entries", fields.IntField()),
                ("entries_used", fields.IntField(default=0)),
                ("revoked_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_used_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "access_pass",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A pass of a visit: the mini-program's time-based QR (its token is signed afresh each",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AccessEvent",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("event_no", fields.CharField(unique=True, max_length=64)),
                (
                    "gate",
                    fields.ForeignKeyField(
                        "houqin.Gate",
                        source_field="gate_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("direction", fields.CharEnumField(description="IN: in\nOUT: out", enum_type=Direction, max_length=8)),
                (
                    "subject",
                    fields.CharEnumField(
                        description="VISITOR: visitor\nSTAFF: staff\nOFFICIAL_CAR: official_car\nSTAFF_CAR: staff_car\nVISITOR_CAR: visitor_car\nUNKNOWN_PLATE: unknown_plate\nUNKNOWN: unknown",
                        enum_type=SubjectKind,
                        max_length=16,
                    ),
                ),
                ("allowed", fields.BooleanField()),
                ("reason", fields.CharField(default="", max_length=64)),
                (
                    "source",
                    fields.CharEnumField(
                        description="ONLINE: online\nOFFLINE: offline\nCAMERA: camera\nGUARD: guard",
                        enum_type=EventSource,
                        max_length=16,
                    ),
                ),
                (
                    "visit",
                    fields.ForeignKeyField(
                        "houqin.Visit",
                        source_field="visit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "visit_pass",
                    fields.ForeignKeyField(
                        "houqin.VisitPass",
                        source_field="visit_pass_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="access_events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("plate_index", fields.CharField(null=True, max_length=64)),
                ("plate_masked", fields.CharField(default="", max_length=16)),
                ("people_count", fields.IntField(default=1)),
                (
                    "detail",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("recorded_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "access_event",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "One decision at a gate (the access log), allowed or refused, from any source. `event_no`",
            },
            bases=["Model"],
        ),
    ]
