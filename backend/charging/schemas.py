"""Request and response bodies of EV charging's console API and mini-program API (pydantic)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

# ---- mini-program (H4) ----


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
    service_fee_fen_per_kwh: int
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
