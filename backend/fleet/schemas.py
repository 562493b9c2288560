"""Request shapes of the official-cars console forms and API, and the shapes of its answers
(published in /openapi.json)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from backend.fleet.models import Datum, LicenceClass, ProviderKind, UpkeepKind, VehicleStatus, VehicleType
from backend.fleet.service.tracks import MAX_BATCH

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Up to a million yuan: more than any one rate or upkeep bill.
Fen = Annotated[int, Field(ge=0, le=100_000_000)]
Km = Annotated[int, Field(ge=0, le=3_000_000)]
# One per rendered dispatch form: the same form sent twice makes one trip.
FormKey = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# Same bounds as the service (backend.fleet.service.trips): a reading, and one amount of a trip.
Odometer = Annotated[int, Field(ge=0, le=2_000_000)]
TripFen = Annotated[int, Field(ge=0, le=5_000_000)]
QuotaFen = Annotated[int, Field(ge=1, le=10_000_000_000)]
Year = Annotated[int, Field(ge=2020, le=2100)]


# ---- records -----------------------------------------------------------------------------------


class VehicleIn(BaseModel):
    plate: str = Field(min_length=1, max_length=20)
    vehicle_type: VehicleType
    seats: int = Field(ge=2, le=60)
    new_energy: bool = False
    home_unit_id: Id | None = None
    base_name: str = Field(default="", max_length=100)
    base_lat: float | None = Field(default=None, ge=-90, le=90)
    base_lng: float | None = Field(default=None, ge=-180, le=180)
    on_duty: bool = False
    odometer_km: Km = 0
    inspection_due: date | None = None
    insurance_due: date | None = None
    service_interval_km: int = Field(default=10000, ge=1000, le=100_000)
    note: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def both_coordinates_or_neither(self) -> VehicleIn:
        if (self.base_lat is None) != (self.base_lng is None):
            raise ValueError("停放地点的纬度和经度应同时填写")
        return self


class StatusIn(BaseModel):
    status: VehicleStatus
    reason: str = Field(min_length=2, max_length=200)


class DriverIn(BaseModel):
    employee_no: str = Field(min_length=1, max_length=32)
    licence_class: LicenceClass
    licence_expires: date


class DriverEditIn(BaseModel):
    licence_class: LicenceClass
    licence_expires: date
    is_active: bool = True


class LeaveIn(BaseModel):
    starts_at: datetime
    ends_at: datetime
    reason: str = Field(default="", max_length=100)


class CompanyIn(BaseModel):
    company_id: Id | None = None
    name: str = Field(min_length=2, max_length=100)
    contact: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=20)
    contract_no: str = Field(default="", max_length=50)
    contract_ends: date | None = None
    is_active: bool = True


class RentalRateIn(BaseModel):
    vehicle_type: VehicleType
    per_day_fen: Fen
    per_km_fen: Fen = 0


class CostRateIn(BaseModel):
    vehicle_type: VehicleType
    per_km_fen: Fen
    overtime_per_hour_fen: Fen = 0


class ProviderIn(BaseModel):
    provider_id: Id | None = None
    kind: ProviderKind
    name: str = Field(min_length=2, max_length=100)
    address: str = Field(default="", max_length=200)
    contract_ends: date | None = None
    is_active: bool = True


class UpkeepIn(BaseModel):
    vehicle_id: Id
    kind: UpkeepKind
    provider_id: Id | None = None
    day: date
    odometer_km: Km | None = None
    cost_fen: Fen
    next_due: date | None = None
    note: str = Field(default="", max_length=200)


# ---- answers -----------------------------------------------------------------------------------


class VehicleOut(BaseModel):
    id: int
    plate: str
    vehicle_type: str
    vehicle_type_label: str
    seats: int
    new_energy: bool
    home_unit_id: int | None
    home_name: str
    base_name: str
    base_lat: float | None
    base_lng: float | None
    status: str
    status_label: str
    on_duty: bool
    odometer_km: int
    inspection_due: str | None
    insurance_due: str | None
    service_interval_km: int
    last_service_km: int
    note: str


class UpkeepOut(BaseModel):
    id: int
    vehicle_id: int
    kind: str
    kind_label: str
    provider_id: int | None
    provider_name: str
    day: str
    odometer_km: int | None
    cost_fen: int
    note: str


class VehicleDetailOut(VehicleOut):
    upkeep: list[UpkeepOut]
    reminders: list[str]


class DriverOut(BaseModel):
    id: int
    person_id: int
    employee_no: str
    name: str
    licence_class: str
    licence_class_label: str
    licence_expires: str
    is_active: bool


# ---- trips (driver and passenger) ----------------------------------------------------------------


class TripStartIn(BaseModel):
    odometer_km: Odometer


class TripFinishIn(BaseModel):
    odometer_km: Odometer
    toll_fen: TripFen = 0
    parking_fen: TripFen = 0
    fuel_fen: TripFen = 0


class TripConfirmIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=300)


class DriverTripOut(BaseModel):
    """A trip as its driver sees it."""

    id: int
    request_id: int
    state: str
    state_label: str
    plate: str
    vehicle_type_label: str
    planned_start: str
    planned_end: str
    actual_start: str | None
    actual_end: str | None
    start_odometer_km: int | None
    end_odometer_km: int | None
    km: int | None
    toll_fen: int
    parking_fen: int
    fuel_fen: int
    overtime_fen: int
    cost_fen: int | None
    purpose_label: str
    reason: str
    passengers: int
    pickup: str
    destination: str
    outside_city: bool
    requester_name: str


class ConfirmationOut(BaseModel):
    request_id: int
    state: str
    state_label: str
    rating: int | None
    comment: str
    confirmed_at: str | None


# ---- quotas (console forms) --------------------------------------------------------------------


class QuotaAllocateIn(BaseModel):
    unit_id: Id
    year: Year
    amount_fen: QuotaFen
    reason: str = Field(min_length=2, max_length=200)


class QuotaTransferIn(BaseModel):
    from_unit_id: Id
    to_unit_id: Id
    year: Year
    amount_fen: QuotaFen
    reason: str = Field(min_length=2, max_length=200)
    key: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")


# ---- requests (the requester) -------------------------------------------------------------------


class CarRequestIn(BaseModel):
    """A new request for a car (用车申请). `client_ref` is made by the mini-program once per
    form, so a resubmission after a lost answer files nothing twice."""

    client_ref: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    purpose: str = Field(pattern=r"^[a-z_]{2,32}$")
    reason: str = Field(min_length=2, max_length=500)
    passengers: int = Field(ge=1, le=60)
    pickup: str = Field(min_length=1, max_length=200)
    destination: str = Field(min_length=1, max_length=200)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    outside_city: bool = False
    return_trip: bool = False
    estimated_km: int = Field(ge=1, le=5000)
    pickup_lat: float | None = Field(default=None, ge=-90, le=90)
    pickup_lng: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates_or_none(self) -> CarRequestIn:
        if (self.pickup_lat is None) != (self.pickup_lng is None):
            raise ValueError("上车地点的经纬度应同时填写或同时不填")
        return self


class PurposeOut(BaseModel):
    value: str
    label: str


class ApprovalStepOut(BaseModel):
    position: int
    title: str
    role_label: str
    state: str
    state_label: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str


class ApprovalOutlineOut(BaseModel):
    id: int
    state: str
    state_label: str
    steps: list[ApprovalStepOut]


class TripOutlineOut(BaseModel):
    id: int
    state: str
    state_label: str
    car: str
    driver: str


class CarRequestOut(BaseModel):
    id: int
    state: str
    state_label: str
    purpose: str
    purpose_label: str
    reason: str
    passengers: int
    pickup: str
    destination: str
    outside_city: bool
    starts_at: datetime
    ends_at: datetime
    return_trip: bool
    estimated_km: int
    emergency: bool
    created_at: datetime
    approval: ApprovalOutlineOut | None
    trip: TripOutlineOut | None
    rating: int | None
    refusal_reason: str


# ---- positions from a vehicle-terminal platform ----------------------------------------------------


class PositionIn(BaseModel):
    """A position from the vehicle-terminal platform; `at` with its time zone."""

    plate: str = Field(min_length=1, max_length=16)
    at: datetime
    lat: float
    lng: float
    speed: float | None = None
    datum: Datum = Datum.WGS84


class PositionBatchIn(BaseModel):
    positions: list[PositionIn] = Field(min_length=1, max_length=MAX_BATCH)


# ---- dispatch ------------------------------------------------------------------------------------


class DispatchTargetIn(BaseModel):
    """Where a request is dispatched: `mode` fleet with a vehicle and a driver, or rental with a
    company, the vehicle type and optionally the rental car's plate."""

    mode: Literal["fleet", "rental"] = "fleet"
    vehicle_id: Id | None = None
    driver_id: Id | None = None
    rental_company_id: Id | None = None
    rental_vehicle_type: VehicleType | None = None
    rental_plate: str = Field(default="", max_length=8)


class DispatchIn(DispatchTargetIn):
    """The console's dispatch form, with the key it was rendered with."""

    idempotency_key: FormKey


class DispatchedTripOut(BaseModel):
    """A dispatched trip: 201 for a new one, 200 with the trip already made under the same key."""

    id: int
    request_id: int
    state: str
    state_label: str
    vehicle_id: int | None
    plate: str
    driver_id: int | None
    driver_name: str
    rental_company_id: int | None
    rental_company: str
    rental_vehicle_type: str | None
    planned_start: datetime
    planned_end: datetime
    blocked_until: datetime


class ReassignIn(BaseModel):
    vehicle_id: Id
    driver_id: Id
    idempotency_key: FormKey


class RentalFinishIn(BaseModel):
    """The rental company's bill for a trip: when the car was given back, the km billed, tolls and
    parking (typed in yuan on the console's form)."""

    returned_at: datetime
    km: int = Field(ge=0, le=2_000_000)
    toll_fen: TripFen = 0
    parking_fen: TripFen = 0


class CancelDispatchIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200)
