"""Tables of energy (能耗): meter models and their register maps, meters on the place tree with the
unit they bill to (or the units sharing them), cumulative readings as read, the explicit events
that break a register's continuity, rollups by hour, day and month, each unit's monthly budget by
kind with its adjustments and extensions, alerts, the cut-off and restore commands sent to relays
and meters, the units' energy contacts, and the baseline year and the plan's targets.

Quantities are integers in thousandths of the kind's unit of measure (`*_milli`): Wh for kWh,
litres for m³, MJ for GJ. A reading holds the register as read (before the CT multiplier);
everything derived from it (rollups, budgets) is after the multiplier."""

from __future__ import annotations

from tortoise import fields
from tortoise.indexes import PartialIndex
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class MeterKind(LabelledEnum):
    ELECTRICITY = "electricity", "电"
    WATER = "water", "水"
    GAS = "gas", "燃气"
    HEAT = "heat", "热"


# The unit of measure a kind's register and budget are read in (thousandths of it are stored).
MEASURE = {
    MeterKind.ELECTRICITY: "千瓦时",
    MeterKind.WATER: "立方米",
    MeterKind.GAS: "立方米",
    MeterKind.HEAT: "吉焦",
}


class MeterRole(LabelledEnum):
    """What a meter measures: a supply used by units, a PV array's generation, or what the PV
    array feeds back to the grid (so self-use = generation − export)."""

    CONSUMPTION = "consumption", "用能计量"
    PV_GENERATION = "pv_generation", "光伏发电"
    GRID_EXPORT = "grid_export", "光伏上网"


class Protocol(LabelledEnum):
    MODBUS_TCP = "modbus_tcp", "Modbus TCP"
    DLT645 = "dlt645", "DL/T 645-2007"
    MANUAL = "manual", "人工抄表"


class Apportion(LabelledEnum):
    """How a shared meter's use is split among the units that share it."""

    NONE = "none", "不分摊（单位独用）"
    AREA = "area", "按面积分摊"
    HEADCOUNT = "headcount", "按在编人数分摊"


class CommState(LabelledEnum):
    NEVER = "never", "尚未采集"
    ONLINE = "online", "在线"
    NO_ANSWER = "no_answer", "无应答"
    GARBAGE = "garbage", "应答无效"


class SupplyState(LabelledEnum):
    """The switch state of a meter's relay or built-in breaker, as last read back."""

    UNKNOWN = "unknown", "未知"
    ON = "on", "合闸（供电）"
    OFF = "off", "拉闸（断供）"


class ReadingSource(LabelledEnum):
    COLLECTOR = "collector", "自动采集"
    MANUAL = "manual", "人工抄表"
    IMPORT = "import", "表格导入"


class ReadingStatus(LabelledEnum):
    """A reading's standing in the derivation of use. Held readings count nowhere until a person
    reviews them. Accepted, they count. Rejected, they are skipped and the next good reading's
    difference carries the energy, so nothing is lost either way."""

    VALID = "valid", "正常"
    HELD_BACKWARD = "held_backward", "读数倒退（待复核）"
    HELD_SPIKE = "held_spike", "突增（待复核）"
    ACCEPTED = "accepted", "复核确认"
    REJECTED = "rejected", "复核作废"


class MeterEventKind(LabelledEnum):
    RESET = "reset", "表底清零"
    REPLACEMENT = "replacement", "换表"
    CT_CHANGE = "ct_change", "变更倍率（互感器）"


class Grain(LabelledEnum):
    HOUR = "hour", "小时"
    DAY = "day", "日"
    MONTH = "month", "月"


class BudgetState(LabelledEnum):
    NORMAL = "normal", "正常"
    WARNED = "warned", "已用 80%"
    EXHAUSTED = "exhausted", "已用尽"
    CUT = "cut", "已断供"
    EXTENDED = "extended", "延期供应"


class AlertKind(LabelledEnum):
    BUDGET_80 = "budget_80", "预算已用 80%"
    BUDGET_100 = "budget_100", "预算已用尽"
    CUT = "cut", "已断供"
    RESTORED = "restored", "已恢复供应"
    SWITCH_FAILED = "switch_failed", "断供或恢复指令未确认"
    SWITCH_REFUSED = "switch_refused", "不能断供的回路"
    READING_HELD = "reading_held", "读数待复核"
    METER_SILENT = "meter_silent", "电表无应答"


class SwitchAction(LabelledEnum):
    CUT = "cut", "断供"
    RESTORE = "restore", "恢复供应"


class SwitchReason(LabelledEnum):
    BUDGET_EXHAUSTED = "budget_exhausted", "预算用尽"
    MONTH_ROLLOVER = "month_rollover", "新月份开始"
    BUDGET_RAISED = "budget_raised", "预算调增"
    EXTENSION = "extension", "批准延期供应"
    MANUAL = "manual", "管理员恢复"


class SwitchState(LabelledEnum):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送，待确认"
    CONFIRMED = "confirmed", "已确认"
    FAILED = "failed", "未能确认"
    CANCELLED = "cancelled", "已取消（条件已变化）"
    REFUSED = "refused", "拒绝执行（安全回路或保电）"


class Indicator(LabelledEnum):
    """The plan's indicators, each measured against the baseline year."""

    ENERGY_PER_M2 = "energy_per_m2", "单位建筑面积能耗"
    ENERGY_PER_PERSON = "energy_per_person", "人均综合能耗"
    WATER_PER_PERSON = "water_per_person", "人均用水量"
    CARBON_PER_M2 = "carbon_per_m2", "单位建筑面积碳排放"


class MeterModel(Model):
    """A meter model and how to read it: for Modbus TCP the register map (function, address, data
    type, word order, scale, relay coil), for DL/T 645 the data identifier and whether the meter
    obeys the trip/close control. `register_map` is `hardware.meters.RegisterMap` as a dict."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    protocol = fields.CharEnumField(Protocol, max_length=16)
    register_map = fields.JSONField(default=dict)
    can_switch = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "energy_meter_model"


class Meter(Model):
    """A meter in a place, billing to one unit or shared among units (`unit` null and
    `apportion` set). `multiplier` is the current CT ratio (earlier ratios are in its events).
    `is_safety` marks a circuit that is never cut (安全回路). The `comm_*`, `last_*`, `supply_*`
    and `protected` fields are the collector's last word on it. `derived_*` is how far its
    readings have been folded into rollups."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(MeterKind, max_length=16)
    role = fields.CharEnumField(MeterRole, max_length=16, default=MeterRole.CONSUMPTION)
    place = fields.ForeignKeyField("houqin.Place", related_name="energy_meters", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="energy_meters", null=True, on_delete=fields.RESTRICT)
    apportion = fields.CharEnumField(Apportion, max_length=16, default=Apportion.NONE)
    model = fields.ForeignKeyField("houqin.MeterModel", related_name="meters", null=True, on_delete=fields.RESTRICT)
    # host:port of the meter or of its serial-to-TCP gateway; empty for manual meters.
    endpoint = fields.CharField(max_length=100, default="")
    # Modbus unit id ("1") or DL/T 645 address (12 digits).
    device_address = fields.CharField(max_length=16, default="")
    # DL/T 645 control password and operator code, encrypted ("" when the meter is not switched).
    control_secret_encrypted = fields.CharField(max_length=255, default="")
    multiplier = fields.IntField(default=1)
    # Largest believable use in one collection interval, after the multiplier (null: the kind's default).
    spike_limit_milli = fields.BigIntField(null=True)
    is_safety = fields.BooleanField(default=False)
    installed_on = fields.DateField()
    replaced_on = fields.DateField(null=True)
    is_active = fields.BooleanField(default=True)
    comm_state = fields.CharEnumField(CommState, max_length=16, default=CommState.NEVER)
    comm_error = fields.CharField(max_length=200, default="")
    comm_failures = fields.IntField(default=0)
    last_read_at = fields.DatetimeField(null=True)
    last_raw_milli = fields.BigIntField(null=True)
    supply_state = fields.CharEnumField(SupplyState, max_length=16, default=SupplyState.UNKNOWN)
    protected = fields.BooleanField(default=False)
    supply_read_at = fields.DatetimeField(null=True)
    derived_until = fields.DatetimeField(null=True)
    derived_raw_milli = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "energy_meter"
        indexes = (("unit_id", "kind"), ("place_id",))


class MeterShare(Model):
    """A unit sharing a shared meter (its use is apportioned among them)."""

    id = fields.IntField(primary_key=True)
    meter = fields.ForeignKeyField("houqin.Meter", related_name="shares", on_delete=fields.CASCADE)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="energy_shares", on_delete=fields.RESTRICT)

    class Meta:
        table = "energy_meter_share"
        unique_together = (("meter", "unit"),)


class Reading(Model):
    """A cumulative register value as read. `slot_at` is the collection slot it belongs to (the
    read time for manual and imported readings): one reading per meter and slot, so a collector
    restarted mid-slot writes nothing twice."""

    id = fields.BigIntField(primary_key=True)
    meter = fields.ForeignKeyField("houqin.Meter", related_name="readings", on_delete=fields.RESTRICT)
    slot_at = fields.DatetimeField()
    read_at = fields.DatetimeField()
    raw_milli = fields.BigIntField()
    source = fields.CharEnumField(ReadingSource, max_length=16, default=ReadingSource.COLLECTOR)
    status = fields.CharEnumField(ReadingStatus, max_length=16, default=ReadingStatus.VALID)
    entered_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="energy_readings", null=True, on_delete=fields.RESTRICT
    )
    reviewed_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="energy_reviews", null=True, on_delete=fields.RESTRICT
    )
    review_note = fields.CharField(max_length=200, default="")

    class Meta:
        table = "energy_reading"
        unique_together = (("meter", "slot_at"),)
        # Only the few held readings are indexed by status: every index on this table slows the
        # collector's bulk inserts.
        indexes = (
            PartialIndex(
                fields=("meter_id",), name="energy_reading_held_backward", condition={"status": "held_backward"}
            ),
            PartialIndex(fields=("meter_id",), name="energy_reading_held_spike", condition={"status": "held_spike"}),
        )


class MeterEvent(Model):
    """A recorded break in a register's continuity, never guessed from the readings: a reset, a
    replacement (old register's final value, new register's starting value) or a CT change."""

    id = fields.IntField(primary_key=True)
    meter = fields.ForeignKeyField("houqin.Meter", related_name="events", on_delete=fields.RESTRICT)
    kind = fields.CharEnumField(MeterEventKind, max_length=16)
    at = fields.DatetimeField()
    old_final_milli = fields.BigIntField()
    new_start_milli = fields.BigIntField()
    old_multiplier = fields.IntField()
    new_multiplier = fields.IntField()
    reason = fields.CharField(max_length=200)
    admin = fields.ForeignKeyField("houqin.AdminUser", related_name="energy_meter_events", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "energy_meter_event"
        indexes = (("meter_id", "at"),)


class Rollup(Model):
    """A meter's use in one hour, day or month (periods start at Beijing local time), after the
    multiplier. `estimated_milli` is the part spread over a gap in the readings by the gap rule."""

    id = fields.BigIntField(primary_key=True)
    meter = fields.ForeignKeyField("houqin.Meter", related_name="rollups", on_delete=fields.CASCADE)
    grain = fields.CharEnumField(Grain, max_length=8)
    period_start = fields.DatetimeField()
    amount_milli = fields.BigIntField(default=0)
    estimated_milli = fields.BigIntField(default=0)

    class Meta:
        table = "energy_rollup"
        unique_together = (("meter", "grain", "period_start"),)
        indexes = (("grain", "period_start"),)


class Quota(Model):
    """The monthly quota of a kind from `effective_from` (a month's first day) on: per person on
    the unit's establishment (在编) and, where set, per m² of the unit's rooms."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(MeterKind, max_length=16)
    effective_from = fields.DateField()
    per_person_milli = fields.BigIntField()
    per_m2_milli = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "energy_quota"
        unique_together = (("kind", "effective_from"),)


class Budget(Model):
    """A unit's budget of one kind for one month: headcount × quota per person (+ area × quota per
    m²), plus the admins' adjustments. `alerted_80_at`/`alerted_100_at` make each alert once,
    `exhausted_at` starts the grace before a cut and `extended_until` holds a cut off."""

    id = fields.IntField(primary_key=True)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="energy_budgets", on_delete=fields.RESTRICT)
    month = fields.DateField()
    kind = fields.CharEnumField(MeterKind, max_length=16)
    headcount = fields.IntField()
    area_hundredths = fields.IntField(default=0)
    per_person_milli = fields.BigIntField()
    per_m2_milli = fields.BigIntField(default=0)
    computed_milli = fields.BigIntField()
    adjustment_milli = fields.BigIntField(default=0)
    used_milli = fields.BigIntField(default=0)
    state = fields.CharEnumField(BudgetState, max_length=16, default=BudgetState.NORMAL)
    alerted_80_at = fields.DatetimeField(null=True)
    alerted_100_at = fields.DatetimeField(null=True)
    exhausted_at = fields.DatetimeField(null=True)
    extended_until = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "energy_budget"
        unique_together = (("unit", "month", "kind"),)


class BudgetChange(Model):
    """An admin's change to a budget, with why: an adjustment of the amount or an extension of
    supply past exhaustion."""

    id = fields.IntField(primary_key=True)
    budget = fields.ForeignKeyField("houqin.Budget", related_name="changes", on_delete=fields.CASCADE)
    delta_milli = fields.BigIntField(default=0)
    extended_until = fields.DatetimeField(null=True)
    reason = fields.CharField(max_length=200)
    # None when made from the command line (the demo's data).
    admin = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="energy_budget_changes", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "energy_budget_change"


class SwitchCommand(Model):
    """One cut or restore decided for one meter's switch. `decision_key` is unique, so a decision
    is recorded once however often the deciding job runs. The sender confirms by reading the
    switch back, retries up to a limit, and cancels a cut whose reason has gone."""

    id = fields.IntField(primary_key=True)
    meter = fields.ForeignKeyField("houqin.Meter", related_name="switch_commands", on_delete=fields.RESTRICT)
    budget = fields.ForeignKeyField(
        "houqin.Budget", related_name="switch_commands", null=True, on_delete=fields.RESTRICT
    )
    action = fields.CharEnumField(SwitchAction, max_length=16)
    reason = fields.CharEnumField(SwitchReason, max_length=24)
    state = fields.CharEnumField(SwitchState, max_length=16, default=SwitchState.PENDING)
    decision_key = fields.CharField(max_length=100, unique=True)
    attempts = fields.IntField(default=0)
    last_error = fields.CharField(max_length=200, default="")
    requested_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="energy_switch_commands", null=True, on_delete=fields.RESTRICT
    )
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    settled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "energy_switch_command"
        indexes = (("state",), ("meter_id", "created_at"))


class Alert(Model):
    """Something the console shows and the unit's energy contacts are told. `dedupe_key` is
    unique, so each budget alert is raised once."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(AlertKind, max_length=16)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="energy_alerts", null=True, on_delete=fields.RESTRICT)
    meter = fields.ForeignKeyField("houqin.Meter", related_name="alerts", null=True, on_delete=fields.RESTRICT)
    budget = fields.ForeignKeyField("houqin.Budget", related_name="alerts", null=True, on_delete=fields.RESTRICT)
    message = fields.CharField(max_length=300)
    dedupe_key = fields.CharField(max_length=100, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    acknowledged_at = fields.DatetimeField(null=True)
    acknowledged_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="energy_alerts_acknowledged", null=True, on_delete=fields.RESTRICT
    )

    class Meta:
        table = "energy_alert"
        indexes = (("unit_id", "created_at"), ("acknowledged_at",))


class EnergyContact(Model):
    """A unit's energy contact (能耗联络员): told of the unit's alerts, sees its budget in the
    mini-program."""

    id = fields.IntField(primary_key=True)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="energy_contacts", on_delete=fields.RESTRICT)
    person = fields.ForeignKeyField("houqin.Person", related_name="energy_contacts", on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "energy_contact"
        unique_together = (("unit", "person"),)


class Baseline(Model):
    """The baseline year's totals the plan's targets are measured against (2020 by default):
    floor area, headcount and the year's use of each kind."""

    id = fields.IntField(primary_key=True)
    year = fields.IntField(unique=True)
    area_hundredths = fields.BigIntField()
    headcount = fields.IntField()
    electricity_milli = fields.BigIntField(default=0)
    water_milli = fields.BigIntField(default=0)
    gas_milli = fields.BigIntField(default=0)
    heat_milli = fields.BigIntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "energy_baseline"


class Target(Model):
    """A plan's target: an indicator to be cut by `reduction_bp` (basis points, 600 = 6 %) from the
    baseline year by the target year."""

    id = fields.IntField(primary_key=True)
    indicator = fields.CharEnumField(Indicator, max_length=24)
    baseline_year = fields.IntField()
    target_year = fields.IntField()
    reduction_bp = fields.IntField()

    class Meta:
        table = "energy_target"
        unique_together = (("indicator", "target_year"),)
