"""Tables of the official-cars module (公务用车): the fleet (vehicles, drivers, rental companies and
their rates), cadres' requests and the trips dispatched for them, the units' quotas as a ledger,
positions, compliance flags, sealing periods and upkeep.

A trip holds a vehicle and a driver over [planned_start, blocked_until): the planned window plus
the buffer between trips, fixed at dispatch so a later change of the setting does not reopen
old windows. On PostgreSQL two exclusion constraints (migration) refuse any overlap of those
ranges for one vehicle or one driver among trips that are not cancelled; on SQLite the dispatch
service checks the same inside its write transaction."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class VehicleType(LabelledEnum):
    SEDAN = "sedan", "轿车"
    BUSINESS = "business", "商务车"
    OFF_ROAD = "off_road", "越野车"
    MINIBUS = "minibus", "中巴"
    BUS = "bus", "大巴"
    SPECIAL = "special", "特种车"


class VehicleStatus(LabelledEnum):
    IN_USE = "in_use", "在用"
    REPAIR = "repair", "维修"
    SEALED = "sealed", "封存"
    DISPOSAL = "disposal", "待处置"


class LicenceClass(LabelledEnum):
    """Chinese driving-licence classes that drive the fleet's vehicles, highest first."""

    A1 = "A1", "A1（大型客车）"
    A2 = "A2", "A2（牵引车）"
    A3 = "A3", "A3（城市公交车）"
    B1 = "B1", "B1（中型客车）"
    B2 = "B2", "B2（大型货车）"
    C1 = "C1", "C1（小型汽车）"
    C2 = "C2", "C2（小型自动挡汽车）"


class Purpose(LabelledEnum):
    CONFIDENTIAL = "confidential", "机要通信"
    EMERGENCY = "emergency", "应急保障"
    LAW_ENFORCEMENT = "law_enforcement", "执法执勤"
    RECEPTION = "reception", "公务接待"
    GENERAL = "general", "一般公务"


class RequestState(LabelledEnum):
    PENDING = "pending", "审批中"
    APPROVED = "approved", "待派车"
    DISPATCHED = "dispatched", "已派车"
    FINISHED = "finished", "已完成"
    REFUSED = "refused", "已驳回"
    CANCELLED = "cancelled", "已取消"


class TripState(LabelledEnum):
    ASSIGNED = "assigned", "待出车"
    STARTED = "started", "行驶中"
    FINISHED = "finished", "已收车"
    CANCELLED = "cancelled", "已取消"


class Datum(LabelledEnum):
    """The coordinate system a position came in: Chinese terminals and maps often send GCJ-02
    (国测局坐标), converted once to WGS-84 on the way in."""

    WGS84 = "wgs84", "WGS-84"
    GCJ02 = "gcj02", "GCJ-02"


class PositionSource(LabelledEnum):
    GPX = "gpx", "GPX 文件"
    TERMINAL = "terminal", "车载终端平台"


class FlagKind(LabelledEnum):
    OUTSIDE_WINDOW = "outside_window", "超出批准时段用车"
    OFF_HOURS = "off_hours", "夜间或非工作日无审批用车"
    LEFT_AREA = "left_area", "驶出批准区域"
    SEALED_MOVED = "sealed_moved", "封存车辆移动"
    ODOMETER_GAP = "odometer_gap", "里程不连续"
    IMPLAUSIBLE_SPEED = "implausible_speed", "平均车速异常"
    LATE_RETURN = "late_return", "逾期收车影响后续派车"


class FlagState(LabelledEnum):
    OPEN = "open", "待处理"
    CLOSED = "closed", "已说明关闭"


class QuotaEntryKind(LabelledEnum):
    ALLOCATE = "allocate", "年度核定"
    TRANSFER_IN = "transfer_in", "调剂调入"
    TRANSFER_OUT = "transfer_out", "调剂调出"
    CHARGE = "charge", "用车费用"


class ProviderKind(LabelledEnum):
    GARAGE = "garage", "定点维修"
    FUEL = "fuel", "定点加油/充电"
    INSURER = "insurer", "定点保险"


class UpkeepKind(LabelledEnum):
    MAINTENANCE = "maintenance", "保养"
    REPAIR = "repair", "维修"
    FUEL = "fuel", "加油"
    CHARGING = "charging", "充电"
    INSURANCE = "insurance", "保险"
    INSPECTION = "inspection", "年检"


class SealSource(LabelledEnum):
    CALENDAR = "calendar", "法定节假日"
    MANUAL = "manual", "手工设定"


class Vehicle(Model):
    """An official car. `home_unit` null means the central pool (集中管理), otherwise the unit it
    is stationed at (分散派驻). `base_*` is where it is parked, for suggesting the nearest car."""

    id = fields.IntField(primary_key=True)
    plate = fields.CharField(max_length=8, unique=True)
    vehicle_type = fields.CharEnumField(VehicleType, max_length=16)
    seats = fields.IntField()
    new_energy = fields.BooleanField(default=False)
    home_unit = fields.ForeignKeyField(
        "houqin.Unit", related_name="stationed_vehicles", null=True, on_delete=fields.RESTRICT
    )
    base_name = fields.CharField(max_length=100, default="")
    base_lat = fields.FloatField(null=True)
    base_lng = fields.FloatField(null=True)
    status = fields.CharEnumField(VehicleStatus, max_length=16, default=VehicleStatus.IN_USE)
    on_duty = fields.BooleanField(default=False)
    odometer_km = fields.IntField(default=0)
    inspection_due = fields.DateField(null=True)
    insurance_due = fields.DateField(null=True)
    service_interval_km = fields.IntField(default=10000)
    last_service_km = fields.IntField(default=0)
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fleet_vehicle"


class Driver(Model):
    """A driver: a person on the roster with a licence."""

    id = fields.IntField(primary_key=True)
    person = fields.OneToOneField("houqin.Person", related_name="driver", on_delete=fields.RESTRICT)
    licence_class = fields.CharEnumField(LicenceClass, max_length=4)
    licence_expires = fields.DateField()
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fleet_driver"


class DriverLeave(Model):
    """A period a driver cannot be dispatched (leave, training), from starts_at up to ends_at."""

    id = fields.IntField(primary_key=True)
    driver = fields.ForeignKeyField("houqin.Driver", related_name="leaves", on_delete=fields.CASCADE)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    reason = fields.CharField(max_length=100, default="")

    class Meta:
        table = "fleet_driver_leave"


class RentalCompany(Model):
    """A social-rental company (社会租赁) under contract."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    contact = fields.CharField(max_length=50, default="")
    phone = fields.CharField(max_length=20, default="")
    contract_no = fields.CharField(max_length=50, default="")
    contract_ends = fields.DateField(null=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "fleet_rental_company"


class RentalRate(Model):
    """A company's contracted price for one vehicle type: per day plus per km."""

    id = fields.IntField(primary_key=True)
    company = fields.ForeignKeyField("houqin.RentalCompany", related_name="rates", on_delete=fields.CASCADE)
    vehicle_type = fields.CharEnumField(VehicleType, max_length=16)
    per_day_fen = fields.IntField()
    per_km_fen = fields.IntField(default=0)

    class Meta:
        table = "fleet_rental_rate"
        unique_together = (("company", "vehicle_type"),)


class CostRate(Model):
    """The platform's own per-km rate for a vehicle type, and the driver's overtime per hour."""

    id = fields.IntField(primary_key=True)
    vehicle_type = fields.CharEnumField(VehicleType, max_length=16, unique=True)
    per_km_fen = fields.IntField()
    overtime_per_hour_fen = fields.IntField(default=0)

    class Meta:
        table = "fleet_cost_rate"


class TripRequest(Model):
    """A cadre's request for a car (用车申请), idempotent on (requester, client_ref)."""

    id = fields.IntField(primary_key=True)
    requester = fields.ForeignKeyField("houqin.Person", related_name="car_requests", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="car_requests", on_delete=fields.RESTRICT)
    client_ref = fields.CharField(max_length=64)
    purpose = fields.CharEnumField(Purpose, max_length=32)
    reason = fields.CharField(max_length=500)
    passengers = fields.IntField()
    pickup = fields.CharField(max_length=200)
    pickup_lat = fields.FloatField(null=True)
    pickup_lng = fields.FloatField(null=True)
    destination = fields.CharField(max_length=200)
    outside_city = fields.BooleanField(default=False)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    return_trip = fields.BooleanField(default=False)
    estimated_km = fields.IntField(default=0)
    emergency = fields.BooleanField(default=False)
    state = fields.CharEnumField(RequestState, max_length=16, default=RequestState.PENDING)
    refusal_reason = fields.CharField(max_length=500, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    approved_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)
    rating = fields.IntField(null=True)
    rating_comment = fields.CharField(max_length=300, default="")

    class Meta:
        table = "fleet_request"
        unique_together = (("requester", "client_ref"),)


class Trip(Model):
    """One dispatch for a request: a vehicle and a driver of the fleet, or a rental.

    Planned and actual times are kept apart. The plan (with the buffer, `blocked_until`) is what
    other dispatches may not overlap, the actual times are what happened."""

    id = fields.IntField(primary_key=True)
    request = fields.ForeignKeyField("houqin.TripRequest", related_name="trips", on_delete=fields.RESTRICT)
    vehicle = fields.ForeignKeyField("houqin.Vehicle", related_name="trips", null=True, on_delete=fields.RESTRICT)
    driver = fields.ForeignKeyField("houqin.Driver", related_name="trips", null=True, on_delete=fields.RESTRICT)
    rental_company = fields.ForeignKeyField(
        "houqin.RentalCompany", related_name="trips", null=True, on_delete=fields.RESTRICT
    )
    rental_vehicle_type = fields.CharEnumField(VehicleType, max_length=16, null=True)
    rental_plate = fields.CharField(max_length=8, default="")
    planned_start = fields.DatetimeField()
    planned_end = fields.DatetimeField()
    blocked_until = fields.DatetimeField()
    state = fields.CharEnumField(TripState, max_length=16, default=TripState.ASSIGNED)
    dispatch_key = fields.CharField(max_length=100, unique=True)
    dispatched_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="dispatched_trips", null=True, on_delete=fields.SET_NULL
    )
    dispatched_at = fields.DatetimeField()
    actual_start = fields.DatetimeField(null=True)
    actual_end = fields.DatetimeField(null=True)
    start_odometer_km = fields.IntField(null=True)
    end_odometer_km = fields.IntField(null=True)
    toll_fen = fields.IntField(default=0)
    parking_fen = fields.IntField(default=0)
    fuel_fen = fields.IntField(default=0)
    overtime_fen = fields.IntField(default=0)
    cost_fen = fields.IntField(null=True)
    cancelled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "fleet_trip"
        indexes = (("vehicle_id", "planned_start"), ("driver_id", "planned_start"), ("planned_start",))


class QuotaEntry(Model):
    """A line of a unit's yearly car quota (额度) ledger: allocations and transfers between units
    (蓄水池) in, charges of finished trips out. The balance is the sum, a transfer is two lines
    with one `transfer_key`, written together."""

    id = fields.IntField(primary_key=True)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="car_quota_entries", on_delete=fields.RESTRICT)
    year = fields.IntField()
    month = fields.IntField()
    kind = fields.CharEnumField(QuotaEntryKind, max_length=16)
    amount_fen = fields.BigIntField()
    trip = fields.OneToOneField("houqin.Trip", related_name="quota_charge", null=True, on_delete=fields.RESTRICT)
    transfer_key = fields.CharField(max_length=100, null=True)
    reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fleet_quota_entry"
        indexes = (("unit_id", "year"),)
        unique_together = (("transfer_key", "kind"),)


class Position(Model):
    """A vehicle's position, always stored as WGS-84 (`datum` says what it came in as)."""

    id = fields.BigIntField(primary_key=True)
    vehicle = fields.ForeignKeyField("houqin.Vehicle", related_name="positions", on_delete=fields.CASCADE)
    trip = fields.ForeignKeyField("houqin.Trip", related_name="positions", null=True, on_delete=fields.SET_NULL)
    at = fields.DatetimeField()
    lat = fields.FloatField()
    lng = fields.FloatField()
    speed_kmh = fields.FloatField(null=True)
    datum = fields.CharEnumField(Datum, max_length=8)
    source = fields.CharEnumField(PositionSource, max_length=16)

    class Meta:
        table = "fleet_position"
        unique_together = (("vehicle", "at"),)


class Geofence(Model):
    """An approved area (the city): a polygon of [lng, lat] WGS-84 vertices, and how long a car
    must stay outside before it counts, so GPS drift raises no false alarm."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    polygon = fields.JSONField()
    dwell_minutes = fields.IntField(default=10)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "fleet_geofence"


class ComplianceFlag(Model):
    """A finding of the daily checks (督查). `dedupe_key` makes a re-run of a check raise nothing
    new, an admin explains and closes it."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(FlagKind, max_length=32)
    vehicle = fields.ForeignKeyField("houqin.Vehicle", related_name="flags", null=True, on_delete=fields.CASCADE)
    trip = fields.ForeignKeyField("houqin.Trip", related_name="flags", null=True, on_delete=fields.CASCADE)
    detail = fields.CharField(max_length=300)
    observed_at = fields.DatetimeField()
    dedupe_key = fields.CharField(max_length=120, unique=True)
    state = fields.CharEnumField(FlagState, max_length=16, default=FlagState.OPEN)
    explanation = fields.CharField(max_length=500, default="")
    closed_by = fields.ForeignKeyField(
        "houqin.AdminUser", related_name="closed_flags", null=True, on_delete=fields.SET_NULL
    )
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fleet_flag"
        indexes = (("state", "observed_at"),)


class SealPeriod(Model):
    """A period the pool is sealed (封存), from starts_at up to ends_at: only on-duty cars may
    run, and a dispatch inside it needs an emergency approval."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=50)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    source = fields.CharEnumField(SealSource, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fleet_seal_period"
        unique_together = (("starts_at", "ends_at"),)


class ServiceProvider(Model):
    """A designated garage, fuel or charging station, or insurer (定点单位)."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharEnumField(ProviderKind, max_length=16)
    name = fields.CharField(max_length=100)
    address = fields.CharField(max_length=200, default="")
    contract_ends = fields.DateField(null=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "fleet_provider"
        unique_together = (("kind", "name"),)


class UpkeepRecord(Model):
    """Maintenance, repair, fuel, charging, insurance or inspection of a vehicle, with its cost."""

    id = fields.IntField(primary_key=True)
    vehicle = fields.ForeignKeyField("houqin.Vehicle", related_name="upkeep", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(UpkeepKind, max_length=16)
    provider = fields.ForeignKeyField(
        "houqin.ServiceProvider", related_name="records", null=True, on_delete=fields.SET_NULL
    )
    day = fields.DateField()
    odometer_km = fields.IntField(null=True)
    cost_fen = fields.IntField()
    note = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "fleet_upkeep"
        indexes = (("vehicle_id", "day"),)
