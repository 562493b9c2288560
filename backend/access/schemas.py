"""Request shapes of the gates-and-visitors API and the shapes of its answers (published in
/openapi.json). Helpers append their own blocks, each under a `# ---- <name> ----` comment."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

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
