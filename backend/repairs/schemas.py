"""Request shapes of the repairs API (mini-program, console, Open311), and the shapes of its
answers (published in /openapi.json)."""

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


# ---- answers (published in /openapi.json; they mirror the views the service returns) ----------


class CategoryRef(BaseModel):
    id: int
    code: str
    name: str


class PersonRef(BaseModel):
    id: int
    name: str


class ReportOut(BaseModel):
    """A report as lists show it."""

    id: int
    state: str
    state_label: str
    category: CategoryRef
    location: str = Field(description="地点的完整名称")
    location_id: int | None
    spot: str
    description: str
    reporter: PersonRef
    assignee: PersonRef | None
    team_id: int | None
    submitted_at: str
    accept_due_at: str
    resolve_due_at: str
    accepted_at: str | None
    resolved_at: str | None
    closed_at: str | None
    overdue: bool
    rating: int | None
    rating_comment: str
    duplicate_of: int | None
    reopen_count: int


class PhotoOut(BaseModel):
    id: int
    kind: str
    width: int
    height: int
    url: str
    thumbnail_url: str


class TimelineEvent(BaseModel):
    at: str
    action: str
    label: str
    from_state: str
    to_state: str
    actor: str
    actor_kind: str
    note: str
    photos: list[PhotoOut]


class UsedPart(BaseModel):
    part: str
    code: str
    quantity: int
    unit: str


class ReportDetailOut(ReportOut):
    """A report with its photos and timeline, and what the viewer may do next."""

    photos: list[PhotoOut]
    timeline: list[TimelineEvent]
    actions: list[str]
    parts: list[UsedPart]


class Refusal(BaseModel):
    id: int
    code: str
    message: str


class BulkAssignOut(BaseModel):
    assigned: list[int]
    refused: list[Refusal]


class CategoryOut(BaseModel):
    id: int
    code: str
    name: str
    team_id: int | None
    accept_hours: float
    resolve_hours: float
    auto_assign: bool
    sort_order: int
    is_active: bool


class TeamPerson(BaseModel):
    id: int
    name: str
    employee_no: str


class TeamOut(BaseModel):
    id: int
    code: str
    name: str
    dispatcher: TeamPerson | None
    members: list[TeamPerson]


class PlaceOut(BaseModel):
    id: int
    parent_id: int | None
    kind: str
    name: str
    full_name: str
    is_active: bool


class PlaceInTreeOut(PlaceOut):
    depth: int = Field(description="在地点树中的层级，楼宇为 0")


class PartOut(BaseModel):
    id: int
    code: str
    name: str
    unit: str
    quantity: int
    low_stock: int
    is_low: bool


class UploadedPhotoOut(BaseModel):
    id: int
    width: int
    height: int


class PossibleDuplicate(BaseModel):
    id: int
    state: str
    state_label: str
    description: str
    submitted_at: str
    overdue: bool


class SubmittedOut(BaseModel):
    """201 for a new report; 200 with the report already filed under the same client_ref."""

    id: int
    state: str
