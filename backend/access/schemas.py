"""Request shapes of the gates-and-visitors API and the shapes of its answers (published in
/openapi.json). Helpers append their own blocks, each under a `# ---- <name> ----` comment."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

# ---- p ----

EVENT_NO = r"^[A-Za-z0-9_-]{8,64}$"


class ScanIn(BaseModel):
    """A pass scanned at the gate; the terminal's own event number makes a retry safe."""

    event_no: str = Field(pattern=EVENT_NO)
    token: str = Field(min_length=1, max_length=1000)


class CardIn(BaseModel):
    """A staff card read at the gate (its UID as the reader gives it)."""

    event_no: str = Field(pattern=EVENT_NO)
    card_uid: str = Field(min_length=1, max_length=64)


class JournalEventIn(BaseModel):
    """A decision the terminal took offline, as its journal keeps it."""

    event_no: str = Field(pattern=EVENT_NO)
    at: AwareDatetime
    kind: Literal["pass", "card"]
    token: str | None = Field(default=None, max_length=1000)
    card_hash: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="职工卡卡号的 SHA-256（终端不保存卡号本身）"
    )
    allowed: bool
    reason: str = Field(default="", max_length=64)


class JournalIn(BaseModel):
    events: list[JournalEventIn] = Field(min_length=1, max_length=200)


class GreetingOut(BaseModel):
    name: str
    host: str
    people: int


class DecisionOut(BaseModel):
    allowed: bool
    reason: str
    message: str
    greeting: GreetingOut | None


class GateOut(BaseModel):
    id: int = Field(description="门禁点编号（通行码里的 g 列出可通行的门禁点编号）")
    code: str
    name: str
    direction: str
    building: str
    anti_passback: bool


class GateSyncOut(BaseModel):
    """What a gate terminal needs to decide offline; `revoked`/`used` and `cards` are left out
    while the versions the terminal sent are still current."""

    gate: GateOut
    public_key: str
    key_id: str
    qr_step_seconds: int
    qr_tolerance_steps: int
    server_time: datetime = Field(description="平台的当前时间（终端据此校正脱机核验用的时钟）")
    version: str
    revoked: list[int] | None = None
    used: dict[str, int] | None = None
    cards_version: str
    cards: list[str] | None = None


class JournalResultOut(BaseModel):
    event_no: str
    result: Literal["recorded", "duplicate", "invalid"]


class JournalOut(BaseModel):
    results: list[JournalResultOut]


# ---- c ----


class StaffVehicleIn(BaseModel):
    """A cadre's own car to register: its plate as typed and a note for the gate's staff."""

    plate: str = Field(min_length=1, max_length=20)
    note: str = Field(default="", max_length=200)


class StaffVehicleOut(BaseModel):
    id: int
    plate: str
    person_id: int
    person_name: str
    unit_id: int
    unit_name: str
    state: str = Field(description="pending / approved / refused / revoked")
    state_label: str
    from_minute: int = Field(description="允许入场开始（当日零点起的分钟数）")
    to_minute: int = Field(description="允许入场结束（分钟数，早于开始表示跨夜）")
    hours: str = Field(description="允许入场时段，如 07:00–20:00")
    note: str
    decided_at: str | None
    created_at: str | None


# ---- v ----


class VisitIn(BaseModel):
    """A visit as the host invites it (the visitor gives the ID number later). A time without a
    zone is business time (Asia/Shanghai)."""

    visitor_name: str = Field(max_length=60)
    phone: str = Field(max_length=20, description="访客手机号（11 位）")
    company: str = Field(default="", max_length=200)
    purpose: str = Field(default="", max_length=400)
    window_start: datetime
    window_end: datetime
    building_ids: list[int] = Field(max_length=20, description="到访楼宇编号")
    companions: list[str] = Field(default_factory=list, max_length=100, description="随行人员姓名")
    plate: str | None = Field(default=None, max_length=16, description="驾车来访时的车牌")


class VisitRequestIn(VisitIn):
    """A visitor asks for a visit, naming the host by name and phone."""

    id_number: str = Field(max_length=30, description="访客身份证号（18 位）")
    host_name: str = Field(max_length=60)
    host_phone: str = Field(max_length=20)


class LinkIn(BaseModel):
    link: str = Field(min_length=1, max_length=200, description="邀请链接末段（/v/ 之后的部分）")


class CompleteIn(BaseModel):
    id_number: str = Field(max_length=30, description="访客身份证号（18 位）")
    plate: str | None = Field(default=None, max_length=16, description="驾车来访时的车牌")


class DecisionIn(BaseModel):
    approve: bool
    reason: str = Field(default="", max_length=400, description="拒绝时的原因")


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=400)


class VisitBuildingOut(BaseModel):
    id: int
    name: str


class VisitorVisitOut(BaseModel):
    """A visit as the visitor sees it: every name masked."""

    id: int
    code: str
    source: str = Field(description="invited 被访人邀请、requested 访客预约、walk_in 门岗登记")
    source_label: str
    state: str = Field(
        description="awaiting_visitor 待访客填写、awaiting_host 待被访人确认、ready 待到访、inside 在访、left 已离开、"
        "no_show 未到访、not_signed_out 未签离、refused 已拒绝、revoked 已撤销"
    )
    state_label: str
    visitor_name: str = Field(description="脱敏姓名，如“张*”")
    company: str
    purpose: str
    companions: list[str]
    people: int
    plate: str = Field(description="脱敏车牌，如“浙A***45”")
    window_start: datetime
    window_end: datetime
    buildings: list[VisitBuildingOut]
    host_name: str
    refused_reason: str
    revoked_reason: str
    entered_at: datetime | None
    left_at: datetime | None


class HostVisitOut(VisitorVisitOut):
    """A visit as its host sees it (the visitor's phone masked)."""

    host_unit: str
    host_confirmed_via: str
    created_at: datetime
    phone: str = Field(default="", description="脱敏手机号")
    id_number: str = Field(default="", description="脱敏身份证号")


class InvitationOut(BaseModel):
    visit: HostVisitOut
    link: str = Field(description="发给访客的一次性邀请链接")


class VisitorSessionOut(BaseModel):
    visit: VisitorVisitOut
    visitor_token: str = Field(description="访客凭证，之后的请求放在请求头 X-Visitor-Token")


class PassTokenOut(BaseModel):
    token: str = Field(description="通行码内容（生成二维码），每分钟刷新")
    refresh_in: int = Field(description="多少秒后刷新")
    valid_until: datetime


class BuildingOut(BaseModel):
    id: int
    name: str
