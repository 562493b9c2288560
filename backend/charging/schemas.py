"""Request and response bodies of EV charging's console API and mini-program API (pydantic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from backend.charging.service.commands import Action

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# ---- sites, piles, fleet cards, tariffs and commands ----


class SiteIn(BaseModel):
    """A charging site; power_limit_kw 0 = the piles are not limited together."""

    name: str = Field(min_length=1, max_length=100)
    address: str = Field(default="", max_length=200)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lng: float | None = Field(default=None, ge=-180, le=180)
    power_limit_kw: int = Field(default=0, ge=0, le=100_000)
    place_id: Id | None = None
    is_active: bool = True


class SiteOut(BaseModel):
    id: int
    name: str
    address: str
    place_id: int | None
    lat: float | None
    lng: float | None
    power_limit_kw: int
    is_active: bool


class PileIn(BaseModel):
    site_id: Id
    box_id: str = Field(min_length=1, max_length=48)
    name: str = Field(min_length=1, max_length=100)
    connectors: int = Field(default=1, ge=1, le=8)
    max_power_kw: int = Field(default=7, ge=1, le=1000)


class PileOut(BaseModel):
    id: int
    site_id: int
    site_name: str
    box_id: str
    name: str
    connectors: int
    max_power_kw: float
    vendor: str
    model: str
    serial: str
    firmware: str
    booted_at: str | None
    last_seen_at: str | None
    is_active: bool


class PileCreatedOut(BaseModel):
    pile: PileOut
    password: str = Field(description="桩的连接密码，只在此次返回，平台只保存其摘要")


class PasswordOut(BaseModel):
    password: str = Field(description="新的连接密码，只在此次返回")


class PileActiveIn(BaseModel):
    is_active: bool


class FleetCardIn(BaseModel):
    id_tag: str = Field(min_length=1, max_length=30)
    plate: str = Field(min_length=1, max_length=20)


class TagBlockIn(BaseModel):
    blocked: bool
    reason: str = Field(min_length=1, max_length=200)


class TagOut(BaseModel):
    id: int
    id_tag: str
    kind: str
    kind_label: str
    vehicle_id: int | None
    plate: str
    blocked: bool
    blocked_reason: str
    created_at: str | None


class CommandIn(BaseModel):
    """A remote command from the console: which fields count depends on the action.

    远程启动: connector_id, id_tag (a registered fleet card that is not blocked, billed to its
    car's unit; a one-card or a start token is refused); 远程停止: transaction_id; 切换可用状态:
    connector_id, operative; 重启: hard; 解锁充电枪: connector_id; 读取配置: keys; 修改配置: key,
    value (a password-like key such as AuthorizationKey is refused); 触发上报: message,
    connector_id; 下发功率限制: connector_id, limit_kw."""

    action: Action
    connector_id: int | None = Field(default=None, ge=0, le=8)
    id_tag: str | None = Field(default=None, max_length=30)
    transaction_id: Id | None = None
    operative: bool = False
    hard: bool = False
    keys: str | None = Field(default=None, max_length=1200)
    key: str | None = Field(default=None, max_length=50)
    value: str | None = Field(default=None, max_length=500)
    message: str | None = Field(default=None, max_length=40)
    limit_kw: float | None = Field(default=None, gt=0, le=1000)


class AnswerOut(BaseModel):
    state: str = Field(description="accepted 已接受、rejected 被拒绝、failed 出错、timed_out 超时、offline 桩不在线")
    state_label: str
    data: dict


class TariffIn(BaseModel):
    """A new tariff version: seasons as in the Tariff table, prices in fen per kWh."""

    name: str = Field(min_length=1, max_length=100)
    effective_from: datetime
    service_fee_fen_per_kwh: int = Field(ge=0, le=1000)
    seasons: list[dict] = Field(min_length=1, max_length=12)


class TariffOut(BaseModel):
    id: int
    name: str
    effective_from: str
    service_fee_fen_per_kwh: int
    seasons: list[dict]


class ConnectorBoardOut(BaseModel):
    connector_id: int
    status: str
    status_label: str
    error_label: str
    status_at: str | None
    session: dict | None


class BoardPileOut(PileOut):
    online: bool
    pile_status_label: str
    connector_states: list[ConnectorBoardOut]


# ---- mini-program ----


class StartIn(BaseModel):
    """A start at the connector whose QR code the cadre scanned (`<base>/c/<box id>/<connector>`).
    `client_ref` is made once per press of the start button, so a retry after a lost answer
    starts nothing twice; `plate` only for an official car (billed to its unit)."""

    box_id: str = Field(min_length=1, max_length=48)
    connector_id: int = Field(ge=1, le=99)
    client_ref: str = Field(min_length=1, max_length=64, description="8 到 64 位字母、数字或“-”")
    plate: str | None = Field(default=None, max_length=16, description="公务车车牌；私家车不填（从一卡通现金扣费）")


class StartOut(BaseModel):
    id: int
    client_ref: str
    box_id: str
    pile_name: str
    connector_id: int
    plate: str | None
    state: str = Field(description="sent 等待桩响应、started 已开始充电、rejected 桩拒绝启动、expired 未插枪或超时")
    state_label: str
    session_id: int | None = Field(description="桩开始充电后的充电记录编号")
    created_at: datetime


class BandEnergyOut(BaseModel):
    band: str
    label: str = Field(description="尖峰、峰、平、谷")
    energy_wh: int


class ChargingBillOut(BaseModel):
    energy_wh: int
    bands: list[BandEnergyOut]
    energy_fen: int
    service_fen: int
    amount_fen: int
    paid_fen: int
    shortfall_fen: int = Field(description="余额不足未能扣到的金额（待补缴）")
    shortfall_paid: bool
    billed_at: datetime


class ChargingSessionOut(BaseModel):
    session_id: int
    state: str
    state_label: str
    site_name: str
    pile_name: str
    box_id: str
    connector_id: int
    payer_kind: str
    payer_label: str
    plate: str | None
    started_at: datetime
    stopped_at: datetime | None
    stop_reason: str
    bill: ChargingBillOut | None = Field(description="账单（结束并结算后才有）")


class ChargingLiveOut(ChargingSessionOut):
    duration_s: int
    energy_wh: int = Field(description="已充电量（Wh）")
    power_w: int | None = Field(description="当前功率（W），已结束时为空")
    soc: int | None = Field(description="车辆电池电量（%），桩未上报时为空")
    amount_fen: int = Field(description="充电中为按分时电价估算的当前费用，结算后为账单金额")
    stop_requested: bool = Field(description="余额将尽，平台已要求桩停止")
    sampled_at: datetime | None


class ChargingReceiptOut(ChargingSessionOut):
    tariff_name: str
    service_fee_fen_per_kwh: int | None = Field(description="服务费（分/千瓦时）；没有电价时为空")
    meter_start_wh: int
    meter_stop_wh: int | None


class NearConnectorOut(BaseModel):
    connector_id: int
    state: str = Field(description="free 空闲、charging 使用中、faulted 故障或停用、offline 离线")
    state_label: str


class NearPileOut(BaseModel):
    box_id: str
    name: str
    max_power_w: int
    online: bool
    connectors: list[NearConnectorOut]


class NearSiteOut(BaseModel):
    site_id: int
    name: str
    address: str
    lat: float
    lng: float
    distance_m: int
    free: int = Field(description="空闲的充电枪数")
    piles: list[NearPileOut]


class ArrearsOut(BaseModel):
    arrears_fen: int = Field(description="未补缴的充电欠费")


# ---- sessions, health and reports ----


class SessionRowOut(BaseModel):
    id: int
    pile_id: int
    pile_name: str
    box_id: str
    connector_id: int
    id_tag: str = Field(description="卡号（一卡通 UID、公务车充电卡或小程序启动令牌），只显示首四位与末两位")
    payer_kind: str = Field(description="wallet 个人一卡通、fleet 公务用车、nobody 无付款人")
    payer_kind_label: str
    payer: str = Field(description="付款人：干部姓名，或车牌（单位）")
    started_at: datetime
    stopped_at: datetime | None
    energy_wh: int = Field(description="电量（Wh）：结算后取自账单，充电中为已充")
    amount_fen: int = Field(description="金额（分）：结算后为账单金额，充电中为估算")
    billed: bool
    state: str
    state_label: str


class SampleOut(BaseModel):
    at: datetime
    energy_wh: int = Field(description="电表读数（Wh）")
    charged_wh: int = Field(description="本次已充（Wh）")
    power_w: int | None
    soc: int | None = Field(description="车辆电池电量（%）")


class SessionIncidentOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    at: datetime
    resolved_at: datetime | None
    note: str = Field(description="处理说明")


class SessionCommandOut(BaseModel):
    id: int
    action: str
    action_label: str
    state: str
    state_label: str
    sent_at: datetime
    answered_at: datetime | None


class SessionBillOut(BaseModel):
    energy_wh: int
    bands: list[BandEnergyOut]
    energy_fen: int
    service_fen: int
    amount_fen: int
    paid_fen: int
    shortfall_fen: int = Field(description="余额不足未能扣到的金额（待补缴）")
    shortfall_paid: bool
    billed_at: datetime


class SessionDetailOut(SessionRowOut):
    tariff_name: str
    meter_start_wh: int
    meter_stop_wh: int | None
    stop_reason: str
    limit_w: int | None = Field(description="平台下发的功率限制（W）")
    bill: SessionBillOut | None = Field(description="账单（结束并结算后才有）")
    samples: list[SampleOut]
    incidents: list[SessionIncidentOut]
    commands: list[SessionCommandOut]


class OfflinePileOut(BaseModel):
    id: int
    box_id: str
    name: str
    site: str
    heartbeat_s: int = Field(description="心跳间隔（秒）；静默超过两个间隔即为离线")
    last_seen_at: datetime | None
    silent: str = Field(description="已静默多久（从未连接的桩为“从未连接”）")


class FaultOut(BaseModel):
    id: int
    pile_id: int
    pile: str
    box_id: str
    site: str
    connector_id: int = Field(description="枪号；0 为整桩")
    connector: str
    error_code: str = Field(description="OCPP 1.6 ChargePointErrorCode")
    error: str
    info: str
    vendor_error_code: str
    started_at: datetime
    cleared_at: datetime | None
    open: bool
    duration_s: int = Field(description="持续秒数（未恢复的算到现在）")


class HealthSummaryOut(BaseModel):
    piles: int
    online: int
    offline: int
    charging: int = Field(description="正在充电的次数")
    open_faults: int
    open_incidents: int


class HealthOut(BaseModel):
    summary: HealthSummaryOut
    offline_piles: list[OfflinePileOut]
    open_faults: list[FaultOut]


class ReportFiguresOut(BaseModel):
    sessions: int
    energy_wh: int
    revenue_fen: int = Field(description="充电收入：一卡通与公务用车的应付金额")
    wallet_fen: int
    fleet_fen: int
    paid_fen: int
    shortfall_fen: int
    unpaid_fen: int = Field(description="无付款人（未登记的卡）按电价计算而未收")


class ReportDayOut(ReportFiguresOut):
    day: date


class ReportPileOut(ReportFiguresOut):
    pile_id: int
    name: str
    box_id: str
    site: str


class ReportSiteOut(ReportFiguresOut):
    site_id: int
    name: str


class ReportBandOut(BaseModel):
    band: str
    label: str = Field(description="尖峰、峰、平、谷")
    energy_wh: int
    share: float | None = Field(description="电量占比（%）；区间内没有电量时为空")


class ReportOut(BaseModel):
    since: date
    until: date
    days: list[ReportDayOut]
    piles: list[ReportPileOut]
    sites: list[ReportSiteOut]
    bands: list[ReportBandOut]
    total: ReportFiguresOut


# ---- closing a stuck session ----


class CloseSessionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200, description="结束原因（记入异常与操作日志）")


class ClosedSessionOut(BaseModel):
    session_id: int
    stopped_at: datetime = Field(description="结束时间：最后一条电表读数的时间（没有读数时为开始时间）")
    meter_stop_wh: int = Field(description="结束读数（Wh）：最后有效读数")
