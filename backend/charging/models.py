"""Tables of EV charging (充电桩): sites (the carports and their power limit), piles and their
connectors, the idTags that start a session, versioned time-of-use tariffs, sessions (OCPP
transactions) with their meter samples and their one bill, faults, incidents recorded instead of
billed, remote commands and the mini-program's start requests.

A session's id is its OCPP transactionId, taken from the database's sequence, so it is unique
across workers and hosts. A session is billed at most once: its bill is one row, unique on the
session, written in the same transaction as the ledger transfer that moves the money."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class ConnectorStatus(LabelledEnum):
    """OCPP 1.6 ChargePointStatus, with the words the board shows."""

    AVAILABLE = "Available", "空闲"
    PREPARING = "Preparing", "准备中"
    CHARGING = "Charging", "充电中"
    SUSPENDED_EVSE = "SuspendedEVSE", "桩端暂停"
    SUSPENDED_EV = "SuspendedEV", "车端暂停"
    FINISHING = "Finishing", "结束中"
    RESERVED = "Reserved", "已预约"
    UNAVAILABLE = "Unavailable", "不可用"
    FAULTED = "Faulted", "故障"


class TagKind(LabelledEnum):
    TOKEN = "token", "小程序启动凭证"
    FLEET = "fleet", "公务车充电卡"
    UNKNOWN = "unknown", "未登记卡"


class PayerKind(LabelledEnum):
    WALLET = "wallet", "个人一卡通"
    FLEET = "fleet", "单位公务用车"
    NOBODY = "nobody", "无付款人"


class SessionState(LabelledEnum):
    ACTIVE = "active", "充电中"
    STOPPED = "stopped", "已结束"


class Band(LabelledEnum):
    """Time-of-use price bands (分时电价)."""

    SHARP = "sharp", "尖峰"
    PEAK = "peak", "峰"
    FLAT = "flat", "平"
    VALLEY = "valley", "谷"


class IncidentKind(LabelledEnum):
    """What a pile reported that could not be billed as sent: recorded for staff, never guessed."""

    METER_STOP_INVALID = "meter_stop_invalid", "结束读数无效（低于开始读数或为 -1）"
    UNKNOWN_TRANSACTION = "unknown_transaction", "结束未知的交易"
    UNKNOWN_TAG = "unknown_tag", "未登记的卡开始充电"
    CONCURRENT_TAG = "concurrent_tag", "同一张卡同时在另一桩充电"
    OFFLINE_START = "offline_start", "离线开始的交易事后上报"
    LATE_METER_VALUES = "late_meter_values", "结束后到达的电表读数"
    METER_BACKWARDS = "meter_backwards", "电表读数倒退"
    BALANCE_STOP = "balance_stop", "余额将尽远程停止"
    SHORTFALL = "shortfall", "余额不足以支付全部费用"
    SESSION_WITHOUT_PAYER = "session_without_payer", "无付款人的充电"
    NO_TARIFF = "no_tariff", "尚无电价时开始的充电"
    CONNECTOR_UNKNOWN = "connector_unknown", "桩上报了不存在的枪号"
    STALE_SESSION = "stale_session", "长时间没有上报的充电"
    CLOSED_BY_STAFF = "closed_by_staff", "工作人员结束并结算"


class CommandState(LabelledEnum):
    SENT = "sent", "已发送"
    ACCEPTED = "accepted", "已接受"
    REJECTED = "rejected", "被拒绝"
    FAILED = "failed", "出错"
    TIMED_OUT = "timed_out", "超时未答复"
    OFFLINE = "offline", "桩不在线"


class StartState(LabelledEnum):
    SENT = "sent", "等待桩响应"
    STARTED = "started", "已开始充电"
    REJECTED = "rejected", "桩拒绝启动"
    EXPIRED = "expired", "未插枪或超时"


class Site(Model):
    """A charging site (a carport, 光储充车棚): where its piles are, and the total power they may
    draw at once (from the solar and storage capacity, 0 = no limit), in watts."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    address = fields.CharField(max_length=200, default="")
    place = fields.ForeignKeyField("houqin.Place", related_name="charging_sites", null=True, on_delete=fields.RESTRICT)
    lat = fields.FloatField(null=True)
    lng = fields.FloatField(null=True)
    power_limit_w = fields.IntField(default=0)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "charging_site"


class Pile(Model):
    """A charge point (充电桩) known by its charge box id, with its password's hash (OCPP security
    profile 1) and what it said of itself at boot. `last_seen_at` is its last message of any kind."""

    id = fields.IntField(primary_key=True)
    site = fields.ForeignKeyField("houqin.Site", related_name="piles", on_delete=fields.RESTRICT)
    box_id = fields.CharField(max_length=48, unique=True)
    name = fields.CharField(max_length=100)
    password_hash = fields.CharField(max_length=200)
    connectors = fields.IntField(default=1)
    max_power_w = fields.IntField(default=7000)
    vendor = fields.CharField(max_length=50, default="")
    model = fields.CharField(max_length=50, default="")
    serial = fields.CharField(max_length=50, default="")
    firmware = fields.CharField(max_length=50, default="")
    firmware_status = fields.CharField(max_length=32, default="")
    diagnostics_status = fields.CharField(max_length=32, default="")
    heartbeat_s = fields.IntField(default=60)
    booted_at = fields.DatetimeField(null=True)
    last_seen_at = fields.DatetimeField(null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "charging_pile"


class Connector(Model):
    """A connector's last reported status (connector 0 is the pile as a whole)."""

    id = fields.IntField(primary_key=True)
    pile = fields.ForeignKeyField("houqin.Pile", related_name="connector_states", on_delete=fields.CASCADE)
    connector_id = fields.IntField()
    status = fields.CharEnumField(ConnectorStatus, max_length=16, default=ConnectorStatus.UNAVAILABLE)
    error_code = fields.CharField(max_length=32, default="NoError")
    info = fields.CharField(max_length=50, default="")
    vendor_error_code = fields.CharField(max_length=50, default="")
    status_at = fields.DatetimeField(null=True)

    class Meta:
        table = "charging_connector"
        unique_together = (("pile", "connector_id"),)


class Tag(Model):
    """An idTag the platform issued or met: a mini-program start token (a person's), a fleet card
    (an official car's, billed to its unit), or an unknown tag a pile started with (blocked). A
    one-card UID is not copied here: it is the wallet's card, looked up there."""

    id = fields.IntField(primary_key=True)
    id_tag = fields.CharField(max_length=20, unique=True)
    kind = fields.CharEnumField(TagKind, max_length=16)
    person = fields.ForeignKeyField("houqin.Person", related_name="charging_tags", null=True, on_delete=fields.RESTRICT)
    vehicle = fields.ForeignKeyField(
        "houqin.Vehicle", related_name="charging_tags", null=True, on_delete=fields.RESTRICT
    )
    blocked = fields.BooleanField(default=False)
    blocked_reason = fields.CharField(max_length=200, default="")
    expires_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "charging_tag"


class Tariff(Model):
    """A version of the time-of-use tariff, in force from `effective_from` until the next one.
    `seasons` is a list of {"name", "months": [1..12], "prices": {band: fen per kWh},
    "periods": [{"from": "HH:MM", "to": "HH:MM", "band"}]} covering every month and each day
    whole. The service fee is per kWh on top. A session is priced by the version in force when it
    started."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    effective_from = fields.DatetimeField()
    service_fee_fen_per_kwh = fields.IntField()
    seasons = fields.JSONField()
    created_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="charging_tariffs", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "charging_tariff"


class Session(Model):
    """A charging session, one OCPP transaction: its id is the transactionId. A StartTransaction
    sent again (a pile's offline queue) finds the same row by pile, connector, idTag, start time
    and meterStart. Who pays is decided at the start: a wallet (a person), a unit's fleet cost (an
    official car) or nobody (an unknown tag: kept, not billed). A session started before any
    tariff existed has none and is priced by the first version once there is one."""

    id = fields.IntField(primary_key=True)
    pile = fields.ForeignKeyField("houqin.Pile", related_name="sessions", on_delete=fields.RESTRICT)
    connector_id = fields.IntField()
    id_tag = fields.CharField(max_length=20)
    payer_kind = fields.CharEnumField(PayerKind, max_length=16)
    person = fields.ForeignKeyField(
        "houqin.Person", related_name="charging_sessions", null=True, on_delete=fields.RESTRICT
    )
    vehicle = fields.ForeignKeyField(
        "houqin.Vehicle", related_name="charging_sessions", null=True, on_delete=fields.RESTRICT
    )
    unit = fields.ForeignKeyField("houqin.Unit", related_name="charging_sessions", null=True, on_delete=fields.RESTRICT)
    tariff = fields.ForeignKeyField("houqin.Tariff", related_name="sessions", null=True, on_delete=fields.RESTRICT)
    state = fields.CharEnumField(SessionState, max_length=16, default=SessionState.ACTIVE)
    meter_start_wh = fields.BigIntField()
    meter_last_wh = fields.BigIntField()
    meter_stop_wh = fields.BigIntField(null=True)
    started_at = fields.DatetimeField()
    stopped_at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField()
    stop_reason = fields.CharField(max_length=32, default="")
    limit_w = fields.IntField(null=True)
    stop_requested_at = fields.DatetimeField(null=True)
    running_fen = fields.BigIntField(default=0)

    class Meta:
        table = "charging_session"
        unique_together = (("pile", "connector_id", "id_tag", "started_at", "meter_start_wh"),)
        indexes = (("state", "pile_id"), ("person_id", "started_at"), ("started_at",))


class MeterValue(Model):
    """A sample of a session's energy register (Energy.Active.Import.Register, Wh) and power. A
    sample sent again is the same row."""

    id = fields.BigIntField(primary_key=True)
    session = fields.ForeignKeyField("houqin.Session", related_name="meter_values", on_delete=fields.CASCADE)
    at = fields.DatetimeField()
    energy_wh = fields.BigIntField()
    power_w = fields.IntField(null=True)
    soc = fields.IntField(null=True)
    received_at = fields.DatetimeField()

    class Meta:
        table = "charging_meter_value"
        unique_together = (("session", "at"),)


class Bill(Model):
    """A session's one bill: energy per band, the energy and service charges, what was taken
    (`paid_fen`) and what the balance could not cover (`shortfall_fen`, owed until
    `shortfall_paid_at`), and the ledger voucher of the payment (none when nothing moved)."""

    id = fields.IntField(primary_key=True)
    session = fields.OneToOneField("houqin.Session", related_name="bill", on_delete=fields.RESTRICT)
    energy_wh = fields.BigIntField()
    bands = fields.JSONField()
    energy_fen = fields.BigIntField()
    service_fen = fields.BigIntField()
    amount_fen = fields.BigIntField()
    paid_fen = fields.BigIntField()
    shortfall_fen = fields.BigIntField(default=0)
    transfer_id = fields.BigIntField(null=True)
    shortfall_transfer_id = fields.BigIntField(null=True)
    shortfall_paid_at = fields.DatetimeField(null=True)
    billed_at = fields.DatetimeField()

    class Meta:
        table = "charging_bill"


class Fault(Model):
    """A connector's error from StatusNotification (errorCode other than NoError), from when it was
    reported until a later NoError cleared it."""

    id = fields.IntField(primary_key=True)
    pile = fields.ForeignKeyField("houqin.Pile", related_name="faults", on_delete=fields.CASCADE)
    connector_id = fields.IntField()
    error_code = fields.CharField(max_length=32)
    info = fields.CharField(max_length=50, default="")
    vendor_error_code = fields.CharField(max_length=50, default="")
    started_at = fields.DatetimeField()
    cleared_at = fields.DatetimeField(null=True)

    class Meta:
        table = "charging_fault"
        indexes = (("pile_id", "cleared_at"),)


class Incident(Model):
    """Something a pile reported that was recorded, not billed as sent (see IncidentKind), and
    who on the staff looked into it, with their note."""

    id = fields.IntField(primary_key=True)
    pile = fields.ForeignKeyField("houqin.Pile", related_name="incidents", null=True, on_delete=fields.CASCADE)
    session = fields.ForeignKeyField("houqin.Session", related_name="incidents", null=True, on_delete=fields.CASCADE)
    kind = fields.CharEnumField(IncidentKind, max_length=32)
    detail = fields.JSONField(default=dict)
    at = fields.DatetimeField()
    resolved_at = fields.DatetimeField(null=True)
    resolved_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="charging_incidents", null=True, on_delete=fields.RESTRICT
    )
    resolution_note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "charging_incident"
        indexes = (("kind", "at"),)


class Command(Model):
    """A command sent to a pile (remote start and stop, availability, reset, unlock,
    configuration, trigger, charging profile), who asked for it (an admin, a cadre or the
    platform itself) and how the pile answered."""

    id = fields.IntField(primary_key=True)
    pile = fields.ForeignKeyField("houqin.Pile", related_name="commands", on_delete=fields.CASCADE)
    action = fields.CharField(max_length=32)
    payload = fields.JSONField(default=dict)
    admin = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="charging_commands", null=True, on_delete=fields.RESTRICT
    )
    person = fields.ForeignKeyField(
        "houqin.Person", related_name="charging_commands", null=True, on_delete=fields.RESTRICT
    )
    state = fields.CharEnumField(CommandState, max_length=16, default=CommandState.SENT)
    answer = fields.JSONField(default=dict)
    sent_at = fields.DatetimeField()
    answered_at = fields.DatetimeField(null=True)

    class Meta:
        table = "charging_command"
        indexes = (("pile_id", "sent_at"),)


class StartRequest(Model):
    """A cadre's start from the mini-program (scan the pile's QR, press start): idempotent on the
    cadre's client reference. The token it sent as idTag finds the session the pile then starts."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="charging_starts", on_delete=fields.RESTRICT)
    client_ref = fields.CharField(max_length=64)
    pile = fields.ForeignKeyField("houqin.Pile", related_name="start_requests", on_delete=fields.RESTRICT)
    connector_id = fields.IntField()
    vehicle = fields.ForeignKeyField(
        "houqin.Vehicle", related_name="charging_starts", null=True, on_delete=fields.RESTRICT
    )
    id_tag = fields.CharField(max_length=20)
    state = fields.CharEnumField(StartState, max_length=16, default=StartState.SENT)
    session = fields.OneToOneField("houqin.Session", related_name="start_request", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()

    class Meta:
        table = "charging_start_request"
        unique_together = (("person", "client_ref"),)
