import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from backend.fleet.models import (
    Datum,
    FlagKind,
    FlagState,
    LicenceClass,
    PositionSource,
    ProviderKind,
    Purpose,
    QuotaEntryKind,
    RequestState,
    SealSource,
    TripState,
    UpkeepKind,
    VehicleStatus,
    VehicleType,
)
from backend.migrations._dialect import RunSQLOn


class Migration(migrations.Migration):
    dependencies = [("houqin", "0022_add_approvals")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CostRate",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "vehicle_type",
                    fields.CharEnumField(
                        unique=True,
                        description="SEDAN: sedan\nBUSINESS: business\nOFF_ROAD: off_road\nMINIBUS: minibus\nBUS: bus\nSPECIAL: special",
                        enum_type=VehicleType,
                        max_length=16,
                    ),
                ),
                ("per_km_fen", fields.IntField()),
                ("overtime_per_hour_fen", fields.IntField(default=0)),
            ],
            options={
                "table": "fleet_cost_rate",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "The platform's own per-km rate for a vehicle type, and the driver's overtime per hour.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Driver",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.OneToOneField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="driver",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "licence_class",
                    fields.CharEnumField(
                        description="A1: A1\nA2: A2\nA3: A3\nB1: B1\nB2: B2\nC1: C1\nC2: C2",
                        enum_type=LicenceClass,
                        max_length=4,
                    ),
                ),
                ("licence_expires", fields.DateField()),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "fleet_driver",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A driver: a person on the roster with a licence.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="DriverLeave",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "driver",
                    fields.ForeignKeyField(
                        "houqin.Driver",
                        source_field="driver_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="leaves",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("reason", fields.CharField(default="", max_length=100)),
            ],
            options={
                "table": "fleet_driver_leave",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A period a driver cannot be dispatched (leave, training), from starts_at up to ends_at.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Geofence",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=50)),
                ("polygon", fields.JSONField(encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads)),
                ("dwell_minutes", fields.IntField(default=10)),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "fleet_geofence",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "An approved area (the city): a polygon of [lng, lat] WGS-84 vertices, and how long a car",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RentalCompany",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("contact", fields.CharField(default="", max_length=50)),
                ("phone", fields.CharField(default="", max_length=20)),
                ("contract_no", fields.CharField(default="", max_length=50)),
                ("contract_ends", fields.DateField(null=True)),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "fleet_rental_company",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A social-rental company (社会租赁) under contract.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RentalRate",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "company",
                    fields.ForeignKeyField(
                        "houqin.RentalCompany",
                        source_field="company_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="rates",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "vehicle_type",
                    fields.CharEnumField(
                        description="SEDAN: sedan\nBUSINESS: business\nOFF_ROAD: off_road\nMINIBUS: minibus\nBUS: bus\nSPECIAL: special",
                        enum_type=VehicleType,
                        max_length=16,
                    ),
                ),
                ("per_day_fen", fields.IntField()),
                ("per_km_fen", fields.IntField(default=0)),
            ],
            options={
                "table": "fleet_rental_rate",
                "app": "houqin",
                "unique_together": (("company", "vehicle_type"),),
                "pk_attr": "id",
                "table_description": "A company's contracted price for one vehicle type: per day plus per km.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SealPeriod",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=50)),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "source",
                    fields.CharEnumField(
                        description="CALENDAR: calendar\nMANUAL: manual", enum_type=SealSource, max_length=16
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "fleet_seal_period",
                "app": "houqin",
                "unique_together": (("starts_at", "ends_at"),),
                "pk_attr": "id",
                "table_description": "A period the pool is sealed (封存), from starts_at up to ends_at: only on-duty cars may",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ServiceProvider",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="GARAGE: garage\nFUEL: fuel\nINSURER: insurer",
                        enum_type=ProviderKind,
                        max_length=16,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
                ("address", fields.CharField(default="", max_length=200)),
                ("contract_ends", fields.DateField(null=True)),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "fleet_provider",
                "app": "houqin",
                "unique_together": (("kind", "name"),),
                "pk_attr": "id",
                "table_description": "A designated garage, fuel or charging station, or insurer (定点单位).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="TripRequest",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "requester",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="requester_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="car_requests",
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
                        related_name="car_requests",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("client_ref", fields.CharField(max_length=64)),
                (
                    "purpose",
                    fields.CharEnumField(
                        description="CONFIDENTIAL: confidential\nEMERGENCY: emergency\nLAW_ENFORCEMENT: law_enforcement\nRECEPTION: reception\nGENERAL: general",
                        enum_type=Purpose,
                        max_length=32,
                    ),
                ),
                ("reason", fields.CharField(max_length=500)),
                ("passengers", fields.IntField()),
                ("pickup", fields.CharField(max_length=200)),
                ("pickup_lat", fields.FloatField(null=True)),
                ("pickup_lng", fields.FloatField(null=True)),
                ("destination", fields.CharField(max_length=200)),
                ("outside_city", fields.BooleanField(default=False)),
                ("starts_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("ends_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("return_trip", fields.BooleanField(default=False)),
                ("estimated_km", fields.IntField(default=0)),
                ("emergency", fields.BooleanField(default=False)),
                (
                    "state",
                    fields.CharEnumField(
                        default=RequestState.PENDING,
                        description="PENDING: pending\nAPPROVED: approved\nDISPATCHED: dispatched\nFINISHED: finished\nREFUSED: refused\nCANCELLED: cancelled",
                        enum_type=RequestState,
                        max_length=16,
                    ),
                ),
                ("refusal_reason", fields.CharField(default="", max_length=500)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("approved_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("cancelled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("confirmed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("rating", fields.IntField(null=True)),
                ("rating_comment", fields.CharField(default="", max_length=300)),
            ],
            options={
                "table": "fleet_request",
                "app": "houqin",
                "unique_together": (("requester", "client_ref"),),
                "pk_attr": "id",
                "table_description": "A cadre's request for a car (用车申请), idempotent on (requester, client_ref).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Vehicle",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("plate", fields.CharField(unique=True, max_length=8)),
                (
                    "vehicle_type",
                    fields.CharEnumField(
                        description="SEDAN: sedan\nBUSINESS: business\nOFF_ROAD: off_road\nMINIBUS: minibus\nBUS: bus\nSPECIAL: special",
                        enum_type=VehicleType,
                        max_length=16,
                    ),
                ),
                ("seats", fields.IntField()),
                ("new_energy", fields.BooleanField(default=False)),
                (
                    "home_unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="home_unit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="stationed_vehicles",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("base_name", fields.CharField(default="", max_length=100)),
                ("base_lat", fields.FloatField(null=True)),
                ("base_lng", fields.FloatField(null=True)),
                (
                    "status",
                    fields.CharEnumField(
                        default=VehicleStatus.IN_USE,
                        description="IN_USE: in_use\nREPAIR: repair\nSEALED: sealed\nDISPOSAL: disposal",
                        enum_type=VehicleStatus,
                        max_length=16,
                    ),
                ),
                ("on_duty", fields.BooleanField(default=False)),
                ("odometer_km", fields.IntField(default=0)),
                ("inspection_due", fields.DateField(null=True)),
                ("insurance_due", fields.DateField(null=True)),
                ("service_interval_km", fields.IntField(default=10000)),
                ("last_service_km", fields.IntField(default=0)),
                ("note", fields.CharField(default="", max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "fleet_vehicle",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "An official car. `home_unit` null means the central pool (集中管理), otherwise the unit it",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Trip",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "request",
                    fields.ForeignKeyField(
                        "houqin.TripRequest",
                        source_field="request_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="trips",
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
                        related_name="trips",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "driver",
                    fields.ForeignKeyField(
                        "houqin.Driver",
                        source_field="driver_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="trips",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "rental_company",
                    fields.ForeignKeyField(
                        "houqin.RentalCompany",
                        source_field="rental_company_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="trips",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "rental_vehicle_type",
                    fields.CharEnumField(
                        null=True,
                        description="SEDAN: sedan\nBUSINESS: business\nOFF_ROAD: off_road\nMINIBUS: minibus\nBUS: bus\nSPECIAL: special",
                        enum_type=VehicleType,
                        max_length=16,
                    ),
                ),
                ("rental_plate", fields.CharField(default="", max_length=8)),
                ("planned_start", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("planned_end", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("blocked_until", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "state",
                    fields.CharEnumField(
                        default=TripState.ASSIGNED,
                        description="ASSIGNED: assigned\nSTARTED: started\nFINISHED: finished\nCANCELLED: cancelled",
                        enum_type=TripState,
                        max_length=16,
                    ),
                ),
                ("dispatch_key", fields.CharField(unique=True, max_length=100)),
                (
                    "dispatched_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="dispatched_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="dispatched_trips",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("dispatched_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("actual_start", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("actual_end", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("start_odometer_km", fields.IntField(null=True)),
                ("end_odometer_km", fields.IntField(null=True)),
                ("toll_fen", fields.IntField(default=0)),
                ("parking_fen", fields.IntField(default=0)),
                ("fuel_fen", fields.IntField(default=0)),
                ("overtime_fen", fields.IntField(default=0)),
                ("cost_fen", fields.IntField(null=True)),
                ("cancelled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "fleet_trip",
                "app": "houqin",
                "indexes": [
                    Index(fields=["vehicle_id", "planned_start"]),
                    Index(fields=["driver_id", "planned_start"]),
                    Index(fields=["planned_start"]),
                ],
                "pk_attr": "id",
                "table_description": "One dispatch for a request: a vehicle and a driver of the fleet, or a rental.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ComplianceFlag",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="OUTSIDE_WINDOW: outside_window\nOFF_HOURS: off_hours\nLEFT_AREA: left_area\nSEALED_MOVED: sealed_moved\nODOMETER_GAP: odometer_gap\nIMPLAUSIBLE_SPEED: implausible_speed\nLATE_RETURN: late_return",
                        enum_type=FlagKind,
                        max_length=32,
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
                        related_name="flags",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "trip",
                    fields.ForeignKeyField(
                        "houqin.Trip",
                        source_field="trip_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="flags",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("detail", fields.CharField(max_length=300)),
                ("observed_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("dedupe_key", fields.CharField(unique=True, max_length=120)),
                (
                    "state",
                    fields.CharEnumField(
                        default=FlagState.OPEN,
                        description="OPEN: open\nCLOSED: closed",
                        enum_type=FlagState,
                        max_length=16,
                    ),
                ),
                ("explanation", fields.CharField(default="", max_length=500)),
                (
                    "closed_by",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="closed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="closed_flags",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "fleet_flag",
                "app": "houqin",
                "indexes": [Index(fields=["state", "observed_at"])],
                "pk_attr": "id",
                "table_description": "A finding of the daily checks (督查). `dedupe_key` makes a re-run of a check raise nothing",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Position",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "vehicle",
                    fields.ForeignKeyField(
                        "houqin.Vehicle",
                        source_field="vehicle_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="positions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "trip",
                    fields.ForeignKeyField(
                        "houqin.Trip",
                        source_field="trip_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="positions",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("lat", fields.FloatField()),
                ("lng", fields.FloatField()),
                ("speed_kmh", fields.FloatField(null=True)),
                (
                    "datum",
                    fields.CharEnumField(description="WGS84: wgs84\nGCJ02: gcj02", enum_type=Datum, max_length=8),
                ),
                (
                    "source",
                    fields.CharEnumField(
                        description="GPX: gpx\nTERMINAL: terminal", enum_type=PositionSource, max_length=16
                    ),
                ),
            ],
            options={
                "table": "fleet_position",
                "app": "houqin",
                "unique_together": (("vehicle", "at"),),
                "pk_attr": "id",
                "table_description": "A vehicle's position, always stored as WGS-84 (`datum` says what it came in as).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="QuotaEntry",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="car_quota_entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("year", fields.IntField()),
                ("month", fields.IntField()),
                (
                    "kind",
                    fields.CharEnumField(
                        description="ALLOCATE: allocate\nTRANSFER_IN: transfer_in\nTRANSFER_OUT: transfer_out\nCHARGE: charge",
                        enum_type=QuotaEntryKind,
                        max_length=16,
                    ),
                ),
                ("amount_fen", fields.BigIntField()),
                (
                    "trip",
                    fields.OneToOneField(
                        "houqin.Trip",
                        source_field="trip_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="quota_charge",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("transfer_key", fields.CharField(null=True, max_length=100)),
                ("reason", fields.CharField(default="", max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "fleet_quota_entry",
                "app": "houqin",
                "unique_together": (("transfer_key", "kind"),),
                "indexes": [Index(fields=["unit_id", "year"])],
                "pk_attr": "id",
                "table_description": "A line of a unit's yearly car quota (额度) ledger: allocations and transfers between units",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="UpkeepRecord",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "vehicle",
                    fields.ForeignKeyField(
                        "houqin.Vehicle",
                        source_field="vehicle_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="upkeep",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="MAINTENANCE: maintenance\nREPAIR: repair\nFUEL: fuel\nCHARGING: charging\nINSURANCE: insurance\nINSPECTION: inspection",
                        enum_type=UpkeepKind,
                        max_length=16,
                    ),
                ),
                (
                    "provider",
                    fields.ForeignKeyField(
                        "houqin.ServiceProvider",
                        source_field="provider_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="records",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("day", fields.DateField()),
                ("odometer_km", fields.IntField(null=True)),
                ("cost_fen", fields.IntField()),
                ("note", fields.CharField(default="", max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "fleet_upkeep",
                "app": "houqin",
                "indexes": [Index(fields=["vehicle_id", "day"])],
                "pk_attr": "id",
                "table_description": "Maintenance, repair, fuel, charging, insurance or inspection of a vehicle, with its cost.",
            },
            bases=["Model"],
        ),
        # The database itself refuses two live trips of one vehicle, or of one driver, whose
        # buffered windows [planned_start, blocked_until) overlap (half-open: a trip may start when
        # the previous one's buffer ends). SQLite has no exclusion constraints: the dispatch service
        # checks the same inside its write transaction.
        RunSQLOn(
            "postgres",
            [
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                "ALTER TABLE fleet_trip ADD CONSTRAINT fleet_trip_window_valid"
                " CHECK (planned_start < planned_end AND planned_end <= blocked_until)",
                "ALTER TABLE fleet_trip ADD CONSTRAINT fleet_trip_vehicle_no_overlap EXCLUDE USING gist"
                " (vehicle_id WITH =, tstzrange(planned_start, blocked_until, '[)') WITH &&)"
                " WHERE (vehicle_id IS NOT NULL AND state <> 'cancelled')",
                "ALTER TABLE fleet_trip ADD CONSTRAINT fleet_trip_driver_no_overlap EXCLUDE USING gist"
                " (driver_id WITH =, tstzrange(planned_start, blocked_until, '[)') WITH &&)"
                " WHERE (driver_id IS NOT NULL AND state <> 'cancelled')",
            ],
            reverse_sql=[
                "ALTER TABLE fleet_trip DROP CONSTRAINT fleet_trip_driver_no_overlap",
                "ALTER TABLE fleet_trip DROP CONSTRAINT fleet_trip_vehicle_no_overlap",
                "ALTER TABLE fleet_trip DROP CONSTRAINT fleet_trip_window_valid",
            ],
        ),
    ]
