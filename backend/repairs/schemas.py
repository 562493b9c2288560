"""Request shapes of the repairs API (mini-program, console, Open311)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CODE = r"^[A-Za-z0-9_-]{2,32}$"
EMPLOYEE_NO = Annotated[str, Field(min_length=1, max_length=32)]


class ReportIn(BaseModel):
    """A new report (随手拍). `client_ref` is made by the mini-program once per report form, so a
    resubmission after a lost answer files nothing twice."""

    client_ref: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    category_id: Id
    location_id: Id | None = None
    spot: str = Field(default="", max_length=100)
    description: str = Field(min_length=2, max_length=500)
    photo_ids: list[Id] = Field(default_factory=list, max_length=9)


class NoteIn(BaseModel):
    note: str = Field(min_length=2, max_length=500)


class PartUseIn(BaseModel):
    part_id: Id
    quantity: int = Field(ge=1, le=100)


class ResolveIn(BaseModel):
    note: str = Field(min_length=2, max_length=500)
    photo_ids: list[Id] = Field(default_factory=list, max_length=9)
    parts: list[PartUseIn] = Field(default_factory=list, max_length=20)


class ConfirmIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=200)


class AssignIn(BaseModel):
    technician_id: Id
    note: str = Field(default="", max_length=500)


class CloseIn(BaseModel):
    action: Literal["reject", "mark_duplicate", "cancel"]
    note: str = Field(min_length=2, max_length=500)
    duplicate_of: Id | None = None


class BulkAssignIn(BaseModel):
    report_ids: list[Id] = Field(min_length=1, max_length=100)
    technician_id: Id


class CategoryIn(BaseModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=50)
    team_code: str | None = Field(default=None, max_length=32)
    accept_hours: Decimal = Field(gt=0, le=1000, decimal_places=2)
    resolve_hours: Decimal = Field(gt=0, le=5000, decimal_places=2)
    auto_assign: bool = False
    is_active: bool = True


class TeamIn(BaseModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=50)
    dispatcher_employee_no: EMPLOYEE_NO | None = None
    member_employee_nos: list[EMPLOYEE_NO] = Field(default_factory=list, max_length=200)


class LocationIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    parent_id: Id | None = None


class PartIn(BaseModel):
    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1, max_length=100)
    unit: str = Field(default="个", min_length=1, max_length=10)
    low_stock: int = Field(default=0, ge=0, le=100_000)


class StockInIn(BaseModel):
    quantity: int = Field(ge=1, le=100_000)
    note: str = Field(default="", max_length=200)


class Open311RequestIn(BaseModel):
    """A service request posted to Open311 (GeoReport v2, form-encoded; `api_key` and
    `attribute[...]` are not part of it). We file a report under a place: address_id (our location
    id) or address_string (具体位置); lat/long alone are refused, since reports are not placed by
    coordinates here. The caller's own details (email, names, phone, device and account ids) and
    media_url are checked and then dropped: the report is filed in the name of the key's cadre,
    and no remote media is ever fetched."""

    jurisdiction_id: str = Field(default="", max_length=100)
    service_code: str = Field(min_length=1, max_length=32)
    description: str = Field(min_length=2, max_length=500)
    address_string: str = Field(default="", max_length=100)
    address_id: Id | None = None
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    long: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    email: str = Field(default="", max_length=254)
    first_name: str = Field(default="", max_length=50)
    last_name: str = Field(default="", max_length=50)
    phone: str = Field(default="", max_length=32)
    device_id: str = Field(default="", max_length=100)
    account_id: str = Field(default="", max_length=100)
    media_url: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def needs_a_place(self) -> Open311RequestIn:
        if not self.address_string.strip() and self.address_id is None:
            raise ValueError("请提供 address_string（具体位置）或 address_id（地点编号）：本平台不按经纬度定位报修")
        return self
