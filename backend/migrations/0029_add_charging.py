import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from backend.charging.models import (
    CommandState,
    ConnectorStatus,
    IncidentKind,
    PayerKind,
    SessionState,
    StartState,
    TagKind,
)
from backend.wallet.models import TransferKind


class Migration(migrations.Migration):
    dependencies = [("houqin", "0028_assets_indexes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Site",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("address", fields.CharField(default="", max_length=200)),
                (
                    "place",
                    fields.ForeignKeyField(
                        "houqin.Place",
                        source_field="place_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_sites",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("lat", fields.FloatField(null=True)),
                ("lng", fields.FloatField(null=True)),
                ("power_limit_w", fields.IntField(default=0)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "charging_site",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A charging site (a carport, 光储充车棚): where its piles are, and the total power they may",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Pile",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "site",
                    fields.ForeignKeyField(
                        "houqin.Site",
                        source_field="site_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="piles",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("box_id", fields.CharField(unique=True, max_length=48)),
                ("name", fields.CharField(max_length=100)),
                ("password_hash", fields.CharField(max_length=200)),
                ("connectors", fields.IntField(default=1)),
                ("max_power_w", fields.IntField(default=7000)),
                ("vendor", fields.CharField(default="", max_length=50)),
                ("model", fields.CharField(default="", max_length=50)),
                ("serial", fields.CharField(default="", max_length=50)),
                ("firmware", fields.CharField(default="", max_length=50)),
                ("firmware_status", fields.CharField(default="", max_length=32)),
                ("diagnostics_status", fields.CharField(default="", max_length=32)),
                ("heartbeat_s", fields.IntField(default=60)),
                ("booted_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("last_seen_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "charging_pile",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A charge point (充电桩) known by its charge box id, with its password's hash (OCPP security",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Command",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "pile",
                    fields.ForeignKeyField(
                        "houqin.Pile",
                        source_field="pile_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="commands",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("action", fields.CharField(max_length=32)),
                (
                    "payload",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                (
                    "admin",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="admin_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_commands",
                        on_delete=OnDelete.RESTRICT,
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
                        related_name="charging_commands",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=CommandState.SENT,
                        description="SENT: sent\nACCEPTED: accepted\nREJECTED: rejected\nFAILED: failed\nTIMED_OUT: timed_out\nOFFLINE: offline",
                        enum_type=CommandState,
                        max_length=16,
                    ),
                ),
                (
                    "answer",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("sent_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("answered_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "charging_command",
                "app": "houqin",
                "indexes": [Index(fields=["pile_id", "sent_at"])],
                "pk_attr": "id",
                "table_description": "A command sent to a pile (remote start and stop, availability, reset, unlock,",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Connector",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "pile",
                    fields.ForeignKeyField(
                        "houqin.Pile",
                        source_field="pile_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="connector_states",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("connector_id", fields.IntField()),
                (
                    "status",
                    fields.CharEnumField(
                        default=ConnectorStatus.UNAVAILABLE,
                        description="AVAILABLE: Available\nPREPARING: Preparing\nCHARGING: Charging\nSUSPENDED_EVSE: SuspendedEVSE\nSUSPENDED_EV: SuspendedEV\nFINISHING: Finishing\nRESERVED: Reserved\nUNAVAILABLE: Unavailable\nFAULTED: Faulted",
                        enum_type=ConnectorStatus,
                        max_length=16,
                    ),
                ),
                ("error_code", fields.CharField(default="NoError", max_length=32)),
                ("info", fields.CharField(default="", max_length=50)),
                ("vendor_error_code", fields.CharField(default="", max_length=50)),
                ("status_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "charging_connector",
                "app": "houqin",
                "unique_together": (("pile", "connector_id"),),
                "pk_attr": "id",
                "table_description": "A connector's last reported status (connector 0 is the pile as a whole).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Fault",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "pile",
                    fields.ForeignKeyField(
                        "houqin.Pile",
                        source_field="pile_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="faults",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("connector_id", fields.IntField()),
                ("error_code", fields.CharField(max_length=32)),
                ("info", fields.CharField(default="", max_length=50)),
                ("vendor_error_code", fields.CharField(default="", max_length=50)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("cleared_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "charging_fault",
                "app": "houqin",
                "indexes": [Index(fields=["pile_id", "cleared_at"])],
                "pk_attr": "id",
                "table_description": "A connector's error from StatusNotification (errorCode other than NoError), from when it was",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tag",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("id_tag", fields.CharField(unique=True, max_length=20)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="TOKEN: token\nFLEET: fleet\nUNKNOWN: unknown", enum_type=TagKind, max_length=16
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
                        related_name="charging_tags",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "vehicle",
                    fields.ForeignKeyField(
                        "houqin.Vehicle",
                        source_field="vehicle_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_tags",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("blocked", fields.BooleanField(default=False)),
                ("blocked_reason", fields.CharField(default="", max_length=200)),
                ("expires_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "charging_tag",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "An idTag the platform issued or met: a mini-program start token (a person's), a fleet card",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Tariff",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=100)),
                ("effective_from", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("service_fee_fen_per_kwh", fields.IntField()),
                ("seasons", fields.JSONField(encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_tariffs",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "charging_tariff",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A version of the time-of-use tariff, in force from `effective_from` until the next one.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Session",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "pile",
                    fields.ForeignKeyField(
                        "houqin.Pile",
                        source_field="pile_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("connector_id", fields.IntField()),
                ("id_tag", fields.CharField(max_length=20)),
                (
                    "payer_kind",
                    fields.CharEnumField(
                        description="WALLET: wallet\nFLEET: fleet\nNOBODY: nobody", enum_type=PayerKind, max_length=16
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
                        related_name="charging_sessions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "vehicle",
                    fields.ForeignKeyField(
                        "houqin.Vehicle",
                        source_field="vehicle_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_sessions",
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
                        related_name="charging_sessions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "tariff",
                    fields.ForeignKeyField(
                        "houqin.Tariff",
                        source_field="tariff_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="sessions",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=SessionState.ACTIVE,
                        description="ACTIVE: active\nSTOPPED: stopped",
                        enum_type=SessionState,
                        max_length=16,
                    ),
                ),
                ("meter_start_wh", fields.BigIntField()),
                ("meter_last_wh", fields.BigIntField()),
                ("meter_stop_wh", fields.BigIntField(null=True)),
                ("started_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("stopped_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("stop_reason", fields.CharField(default="", max_length=32)),
                ("limit_w", fields.IntField(null=True)),
                ("stop_requested_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("running_fen", fields.BigIntField(default=0)),
            ],
            options={
                "table": "charging_session",
                "app": "houqin",
                "unique_together": (("pile", "connector_id", "id_tag", "started_at", "meter_start_wh"),),
                "indexes": [
                    Index(fields=["state", "pile_id"]),
                    Index(fields=["person_id", "started_at"]),
                    Index(fields=["started_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A charging session, one OCPP transaction: its id is the transactionId. A StartTransaction",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Bill",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "session",
                    fields.OneToOneField(
                        "houqin.Session",
                        source_field="session_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="bill",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("energy_wh", fields.BigIntField()),
                ("bands", fields.JSONField(encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads)),
                ("energy_fen", fields.BigIntField()),
                ("service_fen", fields.BigIntField()),
                ("amount_fen", fields.BigIntField()),
                ("paid_fen", fields.BigIntField()),
                ("shortfall_fen", fields.BigIntField(default=0)),
                ("transfer_id", fields.BigIntField(null=True)),
                ("shortfall_transfer_id", fields.BigIntField(null=True)),
                ("shortfall_paid_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("billed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "charging_bill",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A session's one bill: energy per band, the energy and service charges, what was taken",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Incident",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "pile",
                    fields.ForeignKeyField(
                        "houqin.Pile",
                        source_field="pile_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="incidents",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "session",
                    fields.ForeignKeyField(
                        "houqin.Session",
                        source_field="session_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="incidents",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="METER_STOP_INVALID: meter_stop_invalid\nUNKNOWN_TRANSACTION: unknown_transaction\nUNKNOWN_TAG: unknown_tag\nCONCURRENT_TAG: concurrent_tag\nOFFLINE_START: offline_start\nLATE_METER_VALUES: late_meter_values\nMETER_BACKWARDS: meter_backwards\nBALANCE_STOP: balance_stop\nSHORTFALL: shortfall\nSESSION_WITHOUT_PAYER: session_without_payer\nNO_TARIFF: no_tariff\nCONNECTOR_UNKNOWN: connector_unknown\nSTALE_SESSION: stale_session\nCLOSED_BY_STAFF: closed_by_staff",
                        enum_type=IncidentKind,
                        max_length=32,
                    ),
                ),
                (
                    "detail",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("resolved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "resolved_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="resolved_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_incidents",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("resolution_note", fields.CharField(default="", max_length=200)),
            ],
            options={
                "table": "charging_incident",
                "app": "houqin",
                "indexes": [Index(fields=["kind", "at"])],
                "pk_attr": "id",
                "table_description": "Something a pile reported that was recorded, not billed as sent (see IncidentKind), and",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MeterValue",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "session",
                    fields.ForeignKeyField(
                        "houqin.Session",
                        source_field="session_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="meter_values",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("energy_wh", fields.BigIntField()),
                ("power_w", fields.IntField(null=True)),
                ("soc", fields.IntField(null=True)),
                ("received_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "charging_meter_value",
                "app": "houqin",
                "unique_together": (("session", "at"),),
                "pk_attr": "id",
                "table_description": "A sample of a session's energy register (Energy.Active.Import.Register, Wh) and power. A",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StartRequest",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_starts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("client_ref", fields.CharField(max_length=64)),
                (
                    "pile",
                    fields.ForeignKeyField(
                        "houqin.Pile",
                        source_field="pile_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="start_requests",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("connector_id", fields.IntField()),
                (
                    "vehicle",
                    fields.ForeignKeyField(
                        "houqin.Vehicle",
                        source_field="vehicle_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="charging_starts",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("id_tag", fields.CharField(max_length=20)),
                (
                    "state",
                    fields.CharEnumField(
                        default=StartState.SENT,
                        description="SENT: sent\nSTARTED: started\nREJECTED: rejected\nEXPIRED: expired",
                        enum_type=StartState,
                        max_length=16,
                    ),
                ),
                (
                    "session",
                    fields.OneToOneField(
                        "houqin.Session",
                        source_field="session_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="start_request",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "charging_start_request",
                "app": "houqin",
                "unique_together": (("person", "client_ref"),),
                "pk_attr": "id",
                "table_description": "A cadre's start from the mini-program (scan the pile's QR, press start): idempotent on the",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="Transfer",
            name="kind",
            field=fields.CharEnumField(
                description="TOPUP: topup\nCANTEEN_PAYMENT: canteen_payment\nCANTEEN_REFUND: canteen_refund\nSUBSIDY_GRANT: subsidy_grant\nSUBSIDY_EXPIRY: subsidy_expiry\nADJUSTMENT: adjustment\nOVERDRAFT_ADVANCE: overdraft_advance\nOVERDRAFT_REPAYMENT: overdraft_repayment\nCASH_REFUND: cash_refund\nSUBSIDY_FORFEIT: subsidy_forfeit\nSHOP_PAYMENT: shop_payment\nSHOP_REFUND: shop_refund\nSHOP_SETTLEMENT: shop_settlement\nCHARGING_PAYMENT: charging_payment\nCHARGING_ARREARS: charging_arrears\nCHARGING_FLEET: charging_fleet",
                enum_type=TransferKind,
                max_length=32,
            ),
        ),
    ]
