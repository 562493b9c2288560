"""Tables of the repairs module (随手拍): categories and teams, reports with their photos and
timeline, and the small spare-parts stock. Where a report is comes from the places module, what
its reporter is told goes out through the notices module."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class ReportState(LabelledEnum):
    SUBMITTED = "submitted", "待受理"
    ACCEPTED = "accepted", "已派工"  # 已受理（已派工）
    IN_PROGRESS = "in_progress", "维修中"
    RESOLVED = "resolved", "待确认"  # 已修复，待报修人确认
    CLOSED = "closed", "已完结"
    REJECTED = "rejected", "不予受理"
    DUPLICATE = "duplicate", "重复报修"
    CANCELLED = "cancelled", "已撤销"

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATES


OPEN_STATES = (ReportState.SUBMITTED, ReportState.ACCEPTED, ReportState.IN_PROGRESS)


class PhotoKind(LabelledEnum):
    REPORT = "report", "报修照片"
    AFTER = "after", "修复后照片"


class RepairTeam(Model):
    """A repair team (维修班组): its technicians are cadres, and its dispatcher is told of
    reports that run late."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=50)
    dispatcher = fields.ForeignKeyField(
        "houqin.Person", related_name="dispatched_teams", null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "repairs_team"


class TeamMember(Model):
    """A technician (维修人员) in a team: a cadre who sees and works the team's reports."""

    id = fields.IntField(primary_key=True)
    team = fields.ForeignKeyField("houqin.RepairTeam", related_name="members", on_delete=fields.CASCADE)
    person = fields.ForeignKeyField("houqin.Person", related_name="repair_teams", on_delete=fields.CASCADE)

    class Meta:
        table = "repairs_team_member"
        unique_together = (("team", "person"),)


class RepairCategory(Model):
    """A kind of repair (水电, 照明, 空调, ...), with its default team and its SLA in working hours."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=50)
    team = fields.ForeignKeyField("houqin.RepairTeam", related_name="categories", null=True, on_delete=fields.SET_NULL)
    accept_hours = fields.DecimalField(max_digits=6, decimal_places=2, default=2)
    resolve_hours = fields.DecimalField(max_digits=6, decimal_places=2, default=16)
    auto_assign = fields.BooleanField(default=False)
    sort_order = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "repairs_category"


class RepairReport(Model):
    """A repair report (报修单) from a cadre, followed from submission to closing."""

    id = fields.IntField(primary_key=True)
    reporter = fields.ForeignKeyField("houqin.Person", related_name="repair_reports", on_delete=fields.RESTRICT)
    client_ref = fields.CharField(max_length=64)
    category = fields.ForeignKeyField("houqin.RepairCategory", related_name="reports", on_delete=fields.RESTRICT)
    # The place (backend.places) the report is filed against. Read and checked only through the
    # places service. The foreign key stays: the database still refuses a place that does not
    # exist and keeps a place that reports name from being deleted, and dropping it would make
    # Tortoise rebuild this table on SQLite (see migration 0015).
    location = fields.ForeignKeyField(
        "houqin.Place", related_name="repair_reports", null=True, on_delete=fields.RESTRICT
    )
    spot = fields.CharField(max_length=100, default="")
    description = fields.CharField(max_length=500)
    state = fields.CharEnumField(ReportState, max_length=16, default=ReportState.SUBMITTED, db_index=True)
    team = fields.ForeignKeyField("houqin.RepairTeam", related_name="reports", null=True, on_delete=fields.SET_NULL)
    assignee = fields.ForeignKeyField(
        "houqin.Person", related_name="repair_tasks", null=True, on_delete=fields.RESTRICT
    )
    duplicate_of = fields.ForeignKeyField(
        "houqin.RepairReport", related_name="duplicates", null=True, on_delete=fields.SET_NULL
    )
    submitted_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    resolved_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    accept_due_at = fields.DatetimeField()
    resolve_due_at = fields.DatetimeField()
    overdue_at = fields.DatetimeField(null=True)
    rating = fields.SmallIntField(null=True)
    rating_comment = fields.CharField(max_length=200, default="")
    reopen_count = fields.IntField(default=0)
    version = fields.IntField(default=0)

    class Meta:
        table = "repairs_report"
        unique_together = (("reporter", "client_ref"),)


class RepairEvent(Model):
    """One step of a report's timeline: who did what, when, with a note and photos."""

    id = fields.IntField(primary_key=True)
    report = fields.ForeignKeyField("houqin.RepairReport", related_name="events", on_delete=fields.CASCADE)
    at = fields.DatetimeField()
    action = fields.CharField(max_length=32)
    from_state = fields.CharField(max_length=16, default="")
    to_state = fields.CharField(max_length=16, default="")
    actor_kind = fields.CharField(max_length=16)  # cadre | admin | system
    actor_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=64, default="")
    note = fields.CharField(max_length=500, default="")

    class Meta:
        table = "repairs_event"


class RepairPhoto(Model):
    """A photo, stored with its metadata stripped and attached to a report (and to the timeline
    step that added it) once the report or step is saved."""

    id = fields.IntField(primary_key=True)
    uploader = fields.ForeignKeyField("houqin.Person", related_name="repair_photos", on_delete=fields.RESTRICT)
    report = fields.ForeignKeyField("houqin.RepairReport", related_name="photos", null=True, on_delete=fields.CASCADE)
    event = fields.ForeignKeyField("houqin.RepairEvent", related_name="photos", null=True, on_delete=fields.SET_NULL)
    kind = fields.CharEnumField(PhotoKind, max_length=16, default=PhotoKind.REPORT)
    image_key = fields.CharField(max_length=200)
    thumbnail_key = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=32)
    width = fields.IntField()
    height = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "repairs_photo"


class SparePart(Model):
    """An item of the repair team's small parts stock (备品备件)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    unit = fields.CharField(max_length=10, default="个")
    quantity = fields.IntField(default=0)
    low_stock = fields.IntField(default=0)

    class Meta:
        table = "repairs_spare_part"


class PartMovement(Model):
    """A stock-in (入库) or a use against a repair (领用, 随手录): quantity always changes through one."""

    id = fields.IntField(primary_key=True)
    part = fields.ForeignKeyField("houqin.SparePart", related_name="movements", on_delete=fields.RESTRICT)
    delta = fields.IntField()
    report = fields.ForeignKeyField(
        "houqin.RepairReport", related_name="parts_used", null=True, on_delete=fields.RESTRICT
    )
    actor_name = fields.CharField(max_length=64, default="")
    note = fields.CharField(max_length=200, default="")
    at = fields.DatetimeField()

    class Meta:
        table = "repairs_part_movement"


class Open311Key(Model):
    """An API key for an Open311 GeoReport v2 client (a hotline desk, a city dashboard). Reports
    it posts are filed in the name of the cadre the key is issued to. Only a blind index of the
    key is kept."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    key_index = fields.CharField(max_length=64, unique=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="open311_keys", on_delete=fields.RESTRICT)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "repairs_open311_key"
