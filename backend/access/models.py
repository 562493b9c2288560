"""Tables of gates and visitors (门禁与访客): visits (an invitation, a visitor's own request or a
walk-in at the guard post) with the visitor's details, their passes, gates with their terminal,
barrier relay and plate cameras, every decision taken at a gate (the access log), who is inside
each building now, the blacklist, staff cars allowed in with each unit's monthly entry quota,
plates no rule let in waiting for the guard, and the entry screening the bureau configures.

Visitors' ID numbers, phones and plates are kept encrypted, each with a blind index for look-up
and a masked copy for display, so the purge after the retention period leaves nothing readable."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class VisitSource(LabelledEnum):
    INVITED = "invited", "被访人邀请"
    REQUESTED = "requested", "访客预约"
    WALK_IN = "walk_in", "门岗登记"


class VisitState(LabelledEnum):
    AWAITING_VISITOR = "awaiting_visitor", "待访客填写"
    AWAITING_HOST = "awaiting_host", "待被访人确认"
    READY = "ready", "待到访"
    INSIDE = "inside", "在访"
    LEFT = "left", "已离开"
    NO_SHOW = "no_show", "未到访"
    NOT_SIGNED_OUT = "not_signed_out", "未签离（已自动签离）"
    REFUSED = "refused", "被访人已拒绝"
    REVOKED = "revoked", "已撤销"


class HostConfirmation(LabelledEnum):
    MINI_PROGRAM = "mini_program", "被访人在小程序确认"
    PHONE = "phone", "门岗电话确认"


class PassKind(LabelledEnum):
    MOBILE = "mobile", "小程序动态码"
    SLIP = "slip", "单次通行条"


class GateKind(LabelledEnum):
    PEDESTRIAN = "pedestrian", "人行闸机"
    VEHICLE = "vehicle", "车行道闸"


class Direction(LabelledEnum):
    IN = "in", "进"
    OUT = "out", "出"


class SubjectKind(LabelledEnum):
    VISITOR = "visitor", "访客"
    STAFF = "staff", "职工"
    OFFICIAL_CAR = "official_car", "公务车"
    STAFF_CAR = "staff_car", "职工车辆"
    VISITOR_CAR = "visitor_car", "访客车辆"
    UNKNOWN_PLATE = "unknown_plate", "未登记车辆"
    UNKNOWN = "unknown", "无法识别"


class EventSource(LabelledEnum):
    ONLINE = "online", "联机核验"
    OFFLINE = "offline", "脱机核验"
    CAMERA = "camera", "车牌识别"
    GUARD = "guard", "门岗人工放行"


class BlockKind(LabelledEnum):
    ID_NUMBER = "id_number", "身份证号"
    PHONE = "phone", "手机号"
    PLATE = "plate", "车牌"


class StaffVehicleState(LabelledEnum):
    PENDING = "pending", "待审核"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"
    REVOKED = "revoked", "已撤销"


class PlateAlertState(LabelledEnum):
    WAITING = "waiting", "待门岗处理"
    OPENED = "opened", "已人工放行"
    DISMISSED = "dismissed", "未放行"


class Gate(Model):
    """A gate of a building: a pedestrian gate read by a gate terminal (a kiosk agent in gate mode,
    which drives its own relay), or a vehicle gate whose plate cameras push to the backend and
    whose barrier relay the backend pulses. `camera_addresses` are the camera IPs allowed to push
    unsigned events, and `camera_secret_encrypted` signs the JSON push. `printer_uri` is the
    guard post's receipt printer for pass slips."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(GateKind, max_length=16)
    direction = fields.CharEnumField(Direction, max_length=8)
    building_id = fields.IntField(db_index=True)
    device = fields.OneToOneField("houqin.Device", related_name="access_gate", null=True, on_delete=fields.RESTRICT)
    relay_uri = fields.CharField(max_length=300, default="")
    relay_state = fields.CharField(max_length=16, default="")
    relay_message = fields.CharField(max_length=300, default="")
    relay_checked_at = fields.DatetimeField(null=True)
    camera_addresses = fields.JSONField(default=list)
    camera_secret_encrypted = fields.CharField(max_length=255, null=True)
    printer_uri = fields.CharField(max_length=300, default="")
    anti_passback = fields.BooleanField(default=False)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "access_gate"


class Visit(Model):
    """One visitor's visit to a host: invited by the host, asked for by the visitor, or registered
    by the guard. `link_hash` is the digest of the one-time invitation link, exchanged on first
    opening for the visitor's own token (`visitor_token_hash`), so a forwarded link is worthless.
    `companions` are the names of the people who come with the visitor on the same pass.
    `screening` keeps the answers, the measured value and the registrations of the entry
    screening in force when the visitor was registered. `purged_at` is set when the visitor's
    personal data was erased after the retention period."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    source = fields.CharEnumField(VisitSource, max_length=16)
    state = fields.CharEnumField(VisitState, max_length=20, db_index=True)
    host = fields.ForeignKeyField("houqin.Person", related_name="access_visits", on_delete=fields.RESTRICT)
    host_unit = fields.ForeignKeyField("houqin.Unit", related_name="access_visits", on_delete=fields.RESTRICT)
    visitor_name = fields.CharField(max_length=50)
    phone_encrypted = fields.CharField(max_length=255, null=True)
    phone_index = fields.CharField(max_length=64, null=True, db_index=True)
    id_number_encrypted = fields.CharField(max_length=255, null=True)
    id_number_index = fields.CharField(max_length=64, null=True, db_index=True)
    company = fields.CharField(max_length=100, default="")
    purpose = fields.CharField(max_length=200, default="")
    companions = fields.JSONField(default=list)
    plate_encrypted = fields.CharField(max_length=255, null=True)
    plate_index = fields.CharField(max_length=64, null=True, db_index=True)
    plate_masked = fields.CharField(max_length=16, default="")
    window_start = fields.DatetimeField()
    window_end = fields.DatetimeField(db_index=True)
    building_ids = fields.JSONField(default=list)
    link_hash = fields.CharField(max_length=64, null=True, unique=True)
    link_expires_at = fields.DatetimeField(null=True)
    link_opened_at = fields.DatetimeField(null=True)
    visitor_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    host_confirmed_via = fields.CharEnumField(HostConfirmation, max_length=16, null=True)
    host_confirmed_at = fields.DatetimeField(null=True)
    refused_reason = fields.CharField(max_length=200, default="")
    screening = fields.JSONField(null=True)
    registered_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="access_walk_ins", null=True, on_delete=fields.RESTRICT
    )
    entered_at = fields.DatetimeField(null=True)
    left_at = fields.DatetimeField(null=True)
    overstay_alerted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    revoked_reason = fields.CharField(max_length=200, default="")
    purged_at = fields.DatetimeField(null=True, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "access_visit"


class VisitPass(Model):
    """A pass of a visit: the mini-program's time-based QR (its token is signed afresh each
    minute) or a printed single-entry slip. `gate_ids` and the window are what its tokens carry.
    `entries_used` counts the entries the backend has booked, so the gate terminals learn it."""

    id = fields.IntField(primary_key=True)
    visit = fields.ForeignKeyField("houqin.Visit", related_name="passes", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(PassKind, max_length=16)
    gate_ids = fields.JSONField(default=list)
    valid_from = fields.DatetimeField()
    valid_until = fields.DatetimeField(db_index=True)
    max_entries = fields.IntField()
    entries_used = fields.IntField(default=0)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "access_pass"


class AccessEvent(Model):
    """One decision at a gate (the access log), allowed or refused, from any source. `event_no`
    is the terminal's own number for it (or the backend's), so an upload repeated after a crash
    books it once. `reason` is the refusal's error code, shown through message_of."""

    id = fields.IntField(primary_key=True)
    event_no = fields.CharField(max_length=64, unique=True)
    gate = fields.ForeignKeyField("houqin.Gate", related_name="events", on_delete=fields.RESTRICT)
    at = fields.DatetimeField(db_index=True)
    direction = fields.CharEnumField(Direction, max_length=8)
    subject = fields.CharEnumField(SubjectKind, max_length=16)
    allowed = fields.BooleanField()
    reason = fields.CharField(max_length=64, default="")
    source = fields.CharEnumField(EventSource, max_length=16)
    visit = fields.ForeignKeyField("houqin.Visit", related_name="events", null=True, on_delete=fields.SET_NULL)
    visit_pass = fields.ForeignKeyField("houqin.VisitPass", related_name="events", null=True, on_delete=fields.SET_NULL)
    person = fields.ForeignKeyField("houqin.Person", related_name="access_events", null=True, on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="access_events", null=True, on_delete=fields.RESTRICT)
    plate_index = fields.CharField(max_length=64, null=True)
    plate_masked = fields.CharField(max_length=16, default="")
    people_count = fields.IntField(default=1)
    detail = fields.JSONField(default=dict)
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "access_event"


class Presence(Model):
    """Who is inside a building now: a visitor's party, a member of staff or a car, entered and not
    yet out. `subject_key` names it ("visit:12", "person:3", "plate:<index>"), one row each."""

    id = fields.IntField(primary_key=True)
    building_id = fields.IntField()
    subject = fields.CharEnumField(SubjectKind, max_length=16)
    subject_key = fields.CharField(max_length=80)
    visit = fields.ForeignKeyField("houqin.Visit", related_name="presence", null=True, on_delete=fields.CASCADE)
    person = fields.ForeignKeyField(
        "houqin.Person", related_name="access_presence", null=True, on_delete=fields.CASCADE
    )
    plate_masked = fields.CharField(max_length=16, default="")
    people_count = fields.IntField(default=1)
    gate = fields.ForeignKeyField("houqin.Gate", related_name="presence", on_delete=fields.RESTRICT)
    entered_at = fields.DatetimeField()

    class Meta:
        table = "access_presence"
        unique_together = (("building_id", "subject_key"),)


class Block(Model):
    """A blacklist entry: an ID number, phone or plate (by blind index, shown masked) that is
    refused at invitation, registration and the gate while active."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(BlockKind, max_length=16)
    value_index = fields.CharField(max_length=64)
    value_masked = fields.CharField(max_length=40)
    reason = fields.CharField(max_length=200)
    is_active = fields.BooleanField(default=True)
    created_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="access_blocks", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    lifted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "access_block"
        unique_together = (("kind", "value_index"),)


class StaffVehicle(Model):
    """A cadre's own car, registered in the mini-program and approved by the gate's staff with the
    hours it may enter (minutes after midnight). Its entries count against the unit's quota."""

    id = fields.IntField(primary_key=True)
    plate = fields.CharField(max_length=10, db_index=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="access_vehicles", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="access_vehicles", on_delete=fields.RESTRICT)
    state = fields.CharEnumField(StaffVehicleState, max_length=16)
    from_minute = fields.SmallIntField(default=0)
    to_minute = fields.SmallIntField(default=1440)
    note = fields.CharField(max_length=200, default="")
    decided_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="access_vehicle_decisions", null=True, on_delete=fields.RESTRICT
    )
    decided_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "access_staff_vehicle"


class UnitQuota(Model):
    """How many staff-car entries a unit's cars may make in a calendar month."""

    id = fields.IntField(primary_key=True)
    unit = fields.OneToOneField("houqin.Unit", related_name="access_quota", on_delete=fields.CASCADE)
    monthly_entries = fields.IntField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "access_unit_quota"


class PlateAlert(Model):
    """A plate no rule let in, waiting on the guard's page for a decision (open, audited, or not)."""

    id = fields.IntField(primary_key=True)
    gate = fields.ForeignKeyField("houqin.Gate", related_name="plate_alerts", on_delete=fields.RESTRICT)
    plate_encrypted = fields.CharField(max_length=255)
    plate_index = fields.CharField(max_length=64)
    plate_masked = fields.CharField(max_length=16)
    reason = fields.CharField(max_length=64)
    state = fields.CharEnumField(PlateAlertState, max_length=16, db_index=True)
    seen_at = fields.DatetimeField()
    handled_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="access_plate_alerts", null=True, on_delete=fields.RESTRICT
    )
    handled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "access_plate_alert"


class Screening(Model):
    """The entry screening (e.g. 三问一测两登记) for visitors from outside, one row: whether it is on,
    the questions (each with the answer that lets a visitor in), the measurement (name, unit,
    highest value allowed) and the registrations to fill in."""

    id = fields.IntField(primary_key=True)
    enabled = fields.BooleanField(default=False)
    questions = fields.JSONField(default=list)
    measurement = fields.JSONField(null=True)
    registrations = fields.JSONField(default=list)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "access_screening"
