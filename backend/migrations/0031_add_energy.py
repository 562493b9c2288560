import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index, PartialIndex
from tortoise.migrations import operations as ops

from backend.energy.models import (
    AlertKind,
    Apportion,
    BudgetState,
    CommState,
    Grain,
    Indicator,
    MeterEventKind,
    MeterKind,
    MeterRole,
    Protocol,
    ReadingSource,
    ReadingStatus,
    SupplyState,
    SwitchAction,
    SwitchReason,
    SwitchState,
)


class Migration(migrations.Migration):
    dependencies = [("houqin", "0030_add_access")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Baseline",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("year", fields.IntField(unique=True)),
                ("area_hundredths", fields.BigIntField()),
                ("headcount", fields.IntField()),
                ("electricity_milli", fields.BigIntField(default=0)),
                ("water_milli", fields.BigIntField(default=0)),
                ("gas_milli", fields.BigIntField(default=0)),
                ("heat_milli", fields.BigIntField(default=0)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "energy_baseline",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "The baseline year's totals the plan's targets are measured against (2020 by default):",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Budget",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_budgets",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("month", fields.DateField()),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ELECTRICITY: electricity\nWATER: water\nGAS: gas\nHEAT: heat",
                        enum_type=MeterKind,
                        max_length=16,
                    ),
                ),
                ("headcount", fields.IntField()),
                ("area_hundredths", fields.IntField(default=0)),
                ("per_person_milli", fields.BigIntField()),
                ("per_m2_milli", fields.BigIntField(default=0)),
                ("computed_milli", fields.BigIntField()),
                ("adjustment_milli", fields.BigIntField(default=0)),
                ("used_milli", fields.BigIntField(default=0)),
                (
                    "state",
                    fields.CharEnumField(
                        default=BudgetState.NORMAL,
                        description="NORMAL: normal\nWARNED: warned\nEXHAUSTED: exhausted\nCUT: cut\nEXTENDED: extended",
                        enum_type=BudgetState,
                        max_length=16,
                    ),
                ),
                ("alerted_80_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("alerted_100_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("exhausted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("extended_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "energy_budget",
                "app": "houqin",
                "unique_together": (("unit", "month", "kind"),),
                "pk_attr": "id",
                "table_description": "A unit's budget of one kind for one month: headcount × quota per person (+ area × quota per",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="BudgetChange",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "houqin.Budget",
                        source_field="budget_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="changes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("delta_milli", fields.BigIntField(default=0)),
                ("extended_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("reason", fields.CharField(max_length=200)),
                (
                    "admin",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="admin_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_budget_changes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "energy_budget_change",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "An admin's change to a budget, with why: an adjustment of the amount or an extension of",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="EnergyContact",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_contacts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_contacts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "energy_contact",
                "app": "houqin",
                "unique_together": (("unit", "person"),),
                "pk_attr": "id",
                "table_description": "A unit's energy contact (能耗联络员): told of the unit's alerts, sees its budget in the",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MeterModel",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=100)),
                (
                    "protocol",
                    fields.CharEnumField(
                        description="MODBUS_TCP: modbus_tcp\nDLT645: dlt645\nMANUAL: manual",
                        enum_type=Protocol,
                        max_length=16,
                    ),
                ),
                (
                    "register_map",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("can_switch", fields.BooleanField(default=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "energy_meter_model",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A meter model and how to read it: for Modbus TCP the register map (function, address, data",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Meter",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=100)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ELECTRICITY: electricity\nWATER: water\nGAS: gas\nHEAT: heat",
                        enum_type=MeterKind,
                        max_length=16,
                    ),
                ),
                (
                    "role",
                    fields.CharEnumField(
                        default=MeterRole.CONSUMPTION,
                        description="CONSUMPTION: consumption\nPV_GENERATION: pv_generation\nGRID_EXPORT: grid_export",
                        enum_type=MeterRole,
                        max_length=16,
                    ),
                ),
                (
                    "place",
                    fields.ForeignKeyField(
                        "houqin.Place",
                        source_field="place_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_meters",
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
                        related_name="energy_meters",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "apportion",
                    fields.CharEnumField(
                        default=Apportion.NONE,
                        description="NONE: none\nAREA: area\nHEADCOUNT: headcount",
                        enum_type=Apportion,
                        max_length=16,
                    ),
                ),
                (
                    "model",
                    fields.ForeignKeyField(
                        "houqin.MeterModel",
                        source_field="model_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="meters",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("endpoint", fields.CharField(default="", max_length=100)),
                ("device_address", fields.CharField(default="", max_length=16)),
                ("control_secret_encrypted", fields.CharField(default="", max_length=255)),
                ("multiplier", fields.IntField(default=1)),
                ("spike_limit_milli", fields.BigIntField(null=True)),
                ("is_safety", fields.BooleanField(default=False)),
                ("installed_on", fields.DateField()),
                ("replaced_on", fields.DateField(null=True)),
                ("is_active", fields.BooleanField(default=True)),
                (
                    "comm_state",
                    fields.CharEnumField(
                        default=CommState.NEVER,
                        description="NEVER: never\nONLINE: online\nNO_ANSWER: no_answer\nGARBAGE: garbage",
                        enum_type=CommState,
                        max_length=16,
                    ),
                ),
                ("comm_error", fields.CharField(default="", max_length=200)),
                ("comm_failures", fields.IntField(default=0)),
                ("last_read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_raw_milli", fields.BigIntField(null=True)),
                (
                    "supply_state",
                    fields.CharEnumField(
                        default=SupplyState.UNKNOWN,
                        description="UNKNOWN: unknown\nON: on\nOFF: off",
                        enum_type=SupplyState,
                        max_length=16,
                    ),
                ),
                ("protected", fields.BooleanField(default=False)),
                ("supply_read_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("derived_until", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("derived_raw_milli", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "energy_meter",
                "app": "houqin",
                "indexes": [Index(fields=["unit_id", "kind"]), Index(fields=["place_id"])],
                "pk_attr": "id",
                "table_description": "A meter in a place, billing to one unit or shared among units (`unit` null and",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Alert",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="BUDGET_80: budget_80\nBUDGET_100: budget_100\nCUT: cut\nRESTORED: restored\nSWITCH_FAILED: switch_failed\nSWITCH_REFUSED: switch_refused\nREADING_HELD: reading_held\nMETER_SILENT: meter_silent",
                        enum_type=AlertKind,
                        max_length=16,
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
                        related_name="energy_alerts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "meter",
                    fields.ForeignKeyField(
                        "houqin.Meter",
                        source_field="meter_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alerts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "houqin.Budget",
                        source_field="budget_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="alerts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("message", fields.CharField(max_length=300)),
                ("dedupe_key", fields.CharField(unique=True, max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("acknowledged_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "acknowledged_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="acknowledged_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_alerts_acknowledged",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "energy_alert",
                "app": "houqin",
                "indexes": [Index(fields=["unit_id", "created_at"]), Index(fields=["acknowledged_at"])],
                "pk_attr": "id",
                "table_description": "Something the console shows and the unit's energy contacts are told. `dedupe_key` is",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MeterEvent",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "meter",
                    fields.ForeignKeyField(
                        "houqin.Meter",
                        source_field="meter_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="RESET: reset\nREPLACEMENT: replacement\nCT_CHANGE: ct_change",
                        enum_type=MeterEventKind,
                        max_length=16,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("old_final_milli", fields.BigIntField()),
                ("new_start_milli", fields.BigIntField()),
                ("old_multiplier", fields.IntField()),
                ("new_multiplier", fields.IntField()),
                ("reason", fields.CharField(max_length=200)),
                (
                    "admin",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="admin_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_meter_events",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "energy_meter_event",
                "app": "houqin",
                "indexes": [Index(fields=["meter_id", "at"])],
                "pk_attr": "id",
                "table_description": "A recorded break in a register's continuity, never guessed from the readings: a reset, a",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MeterShare",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "meter",
                    fields.ForeignKeyField(
                        "houqin.Meter",
                        source_field="meter_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="shares",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_shares",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "energy_meter_share",
                "app": "houqin",
                "unique_together": (("meter", "unit"),),
                "pk_attr": "id",
                "table_description": "A unit sharing a shared meter (its use is apportioned among them).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Quota",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ELECTRICITY: electricity\nWATER: water\nGAS: gas\nHEAT: heat",
                        enum_type=MeterKind,
                        max_length=16,
                    ),
                ),
                ("effective_from", fields.DateField()),
                ("per_person_milli", fields.BigIntField()),
                ("per_m2_milli", fields.BigIntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "energy_quota",
                "app": "houqin",
                "unique_together": (("kind", "effective_from"),),
                "pk_attr": "id",
                "table_description": "The monthly quota of a kind from `effective_from` (a month's first day) on: per person on",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Reading",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "meter",
                    fields.ForeignKeyField(
                        "houqin.Meter",
                        source_field="meter_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="readings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("slot_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("read_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("raw_milli", fields.BigIntField()),
                (
                    "source",
                    fields.CharEnumField(
                        default=ReadingSource.COLLECTOR,
                        description="COLLECTOR: collector\nMANUAL: manual\nIMPORT: import",
                        enum_type=ReadingSource,
                        max_length=16,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=ReadingStatus.VALID,
                        description="VALID: valid\nHELD_BACKWARD: held_backward\nHELD_SPIKE: held_spike\nACCEPTED: accepted\nREJECTED: rejected",
                        enum_type=ReadingStatus,
                        max_length=16,
                    ),
                ),
                (
                    "entered_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="entered_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_readings",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "reviewed_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="reviewed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_reviews",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("review_note", fields.CharField(default="", max_length=200)),
            ],
            options={
                "table": "energy_reading",
                "app": "houqin",
                "unique_together": (("meter", "slot_at"),),
                "indexes": [
                    PartialIndex(
                        fields=["meter_id"], name="energy_reading_held_backward", condition={"status": "held_backward"}
                    ),
                    PartialIndex(
                        fields=["meter_id"], name="energy_reading_held_spike", condition={"status": "held_spike"}
                    ),
                ],
                "pk_attr": "id",
                "table_description": "A cumulative register value as read. `slot_at` is the collection slot it belongs to (the",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Rollup",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "meter",
                    fields.ForeignKeyField(
                        "houqin.Meter",
                        source_field="meter_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="rollups",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "grain",
                    fields.CharEnumField(
                        description="HOUR: hour\nDAY: day\nMONTH: month", enum_type=Grain, max_length=8
                    ),
                ),
                ("period_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("amount_milli", fields.BigIntField(default=0)),
                ("estimated_milli", fields.BigIntField(default=0)),
            ],
            options={
                "table": "energy_rollup",
                "app": "houqin",
                "unique_together": (("meter", "grain", "period_start"),),
                "indexes": [Index(fields=["grain", "period_start"])],
                "pk_attr": "id",
                "table_description": "A meter's use in one hour, day or month (periods start at Beijing local time), after the",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SwitchCommand",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "meter",
                    fields.ForeignKeyField(
                        "houqin.Meter",
                        source_field="meter_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="switch_commands",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "budget",
                    fields.ForeignKeyField(
                        "houqin.Budget",
                        source_field="budget_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="switch_commands",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "action",
                    fields.CharEnumField(
                        description="CUT: cut\nRESTORE: restore", enum_type=SwitchAction, max_length=16
                    ),
                ),
                (
                    "reason",
                    fields.CharEnumField(
                        description="BUDGET_EXHAUSTED: budget_exhausted\nMONTH_ROLLOVER: month_rollover\nBUDGET_RAISED: budget_raised\nEXTENSION: extension\nMANUAL: manual",
                        enum_type=SwitchReason,
                        max_length=24,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=SwitchState.PENDING,
                        description="PENDING: pending\nSENT: sent\nCONFIRMED: confirmed\nFAILED: failed\nCANCELLED: cancelled\nREFUSED: refused",
                        enum_type=SwitchState,
                        max_length=16,
                    ),
                ),
                ("decision_key", fields.CharField(unique=True, max_length=100)),
                ("attempts", fields.IntField(default=0)),
                ("last_error", fields.CharField(default="", max_length=200)),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="requested_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="energy_switch_commands",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("note", fields.CharField(default="", max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("sent_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("settled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "energy_switch_command",
                "app": "houqin",
                "indexes": [Index(fields=["state"]), Index(fields=["meter_id", "created_at"])],
                "pk_attr": "id",
                "table_description": "One cut or restore decided for one meter's switch. `decision_key` is unique, so a decision",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Target",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "indicator",
                    fields.CharEnumField(
                        description="ENERGY_PER_M2: energy_per_m2\nENERGY_PER_PERSON: energy_per_person\nWATER_PER_PERSON: water_per_person\nCARBON_PER_M2: carbon_per_m2",
                        enum_type=Indicator,
                        max_length=24,
                    ),
                ),
                ("baseline_year", fields.IntField()),
                ("target_year", fields.IntField()),
                ("reduction_bp", fields.IntField()),
            ],
            options={
                "table": "energy_target",
                "app": "houqin",
                "unique_together": (("indicator", "target_year"),),
                "pk_attr": "id",
                "table_description": "A plan's target: an indicator to be cut by `reduction_bp` (basis points, 600 = 6 %) from the",
            },
            bases=["Model"],
        ),
    ]
