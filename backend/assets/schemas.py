"""Request shapes of the assets module's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen, areas in hundredths of a square metre)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- H2 space ----
# Areas are typed in m² ("18.5") and carried in hundredths of m² (1850), read as decimals.

from datetime import date as _date  # noqa: E402
from datetime import datetime as _datetime  # noqa: E402

from pydantic import BaseModel, field_validator  # noqa: E402

from backend.places import service as _places  # noqa: E402


def _area(value: object) -> int:
    try:
        return _places.parse_area(str(value))
    except Exception:
        raise ValueError("面积须为大于 0 的数，单位平方米，最多两位小数") from None


class RoomFactsIn(BaseModel):
    use_area: int
    building_area: int | None = None
    use: str = Field(pattern="^(office|service|equipment|ancillary)$")
    unit_id: Id | None = None

    @field_validator("use_area", "building_area", mode="before")
    @classmethod
    def _areas(cls, value: object) -> int | None:
        return None if value in (None, "") else _area(value)


class OccupantIn(BaseModel):
    employee_no: str = Field(min_length=1, max_length=20)
    grade: str = Field(pattern="^(city_chief|city_deputy|bureau_chief|bureau_deputy|below_bureau)$")
    since: _date


class AreaStandardIn(BaseModel):
    grade: str = Field(pattern="^(city_chief|city_deputy|bureau_chief|bureau_deputy|below_bureau)$")
    per_person: int | None = None

    @field_validator("per_person", mode="before")
    @classmethod
    def _area(cls, value: object) -> int | None:
        return None if value in (None, "") else _area(value)


class BuildingFileIn(BaseModel):
    tenure: str = Field(pattern="^(owned|allocated|leased|borrowed)$")
    title_no: str = Field(default="", max_length=60)
    land_no: str = Field(default="", max_length=60)
    permits: str = Field(default="", max_length=500)
    built_year: int | None = Field(default=None, ge=1900, le=2100)
    address: str = Field(default="", max_length=200)
    note: str = Field(default="", max_length=500)


class InspectionIn(BaseModel):
    inspected_on: _date
    inspector: str = Field(min_length=1, max_length=60)
    result: str = Field(pattern="^(passed|hazard|rectified)$")
    findings: str = Field(default="", max_length=500)


class PlaceIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    parent_id: Id | None = None


class RoomTransferIn(BaseModel):
    client_ref: str = Field(min_length=8, max_length=64)
    place_id: Id
    unit_id: Id
    reason: str = Field(min_length=2, max_length=500)


class VacantRoomOut(BaseModel):
    id: int
    full_name: str
    use_area: int
    building_area: int | None
    use: str
    use_label: str


class RoomTransferOut(BaseModel):
    id: int
    place_id: int
    room: str
    from_unit: str
    to_unit: str
    to_unit_id: int
    requester: str
    reason: str
    state: str
    state_label: str
    created_at: _datetime
    decided_at: _datetime | None
    approval_id: int | None


class OfficerUnitOut(BaseModel):
    id: int
    code: str
    name: str
