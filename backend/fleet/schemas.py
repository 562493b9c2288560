"""Request shapes of the official-cars module's forms and API (and, published in /openapi.json,
the shapes of its answers)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from backend.fleet.models import VehicleType

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# One per rendered dispatch form: the same form sent twice makes one trip.
FormKey = Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class DispatchIn(BaseModel):
    """A dispatch: `mode` fleet with a vehicle and a driver, or rental with a company, the
    vehicle type and optionally the rental car's plate."""

    mode: Literal["fleet", "rental"] = "fleet"
    vehicle_id: Id | None = None
    driver_id: Id | None = None
    rental_company_id: Id | None = None
    rental_vehicle_type: VehicleType | None = None
    rental_plate: str = Field(default="", max_length=8)
    idempotency_key: FormKey


class ReassignIn(BaseModel):
    vehicle_id: Id
    driver_id: Id
    idempotency_key: FormKey


class CancelDispatchIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200)
