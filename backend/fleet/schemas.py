"""Request shapes of the official-cars API (mini-program, console forms) and the shapes of its
answers (published in /openapi.json). Money is integer fen: the mini-program sends fen."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Same bounds as the service (backend.fleet.service.trips): a reading, and one amount of a trip.
Odometer = Annotated[int, Field(ge=0, le=2_000_000)]
TripFen = Annotated[int, Field(ge=0, le=5_000_000)]
QuotaFen = Annotated[int, Field(ge=1, le=10_000_000_000)]
Year = Annotated[int, Field(ge=2020, le=2100)]


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


class RentalFinishIn(BaseModel):
    km: Odometer
    toll_fen: TripFen = 0
    parking_fen: TripFen = 0


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
