"""Request shapes of the produce shop's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from backend.core.timeutil import plausible

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- reports and settlement (H5) ----------------------------------------------------------------


def _typed_day(value: object) -> object:
    """A typed YYYY-MM-DD as a date, refused in words read next to the field."""
    if isinstance(value, date):
        return value
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise ValueError("请输入日期，如 2026-01-31") from None
    if not plausible(day):
        raise ValueError("请输入 2000 至 2100 年间的日期")
    return day


class SettlementIn(BaseModel):
    """A settlement paid to a supplier (供货方结算) for a period, with the bank or voucher
    reference. Whether the amount is owed is the service's to say."""

    supplier_id: Id
    period_start: date
    period_end: date
    # Up to ten million yuan: more than a supplier is ever owed at once.
    amount_fen: int = Field(ge=1, le=1_000_000_000)
    reference: str = Field(default="", max_length=100)

    _days = field_validator("period_start", "period_end", mode="before")(_typed_day)


class SettlementFormIn(SettlementIn):
    """The console's settlement form: its key is made once per rendered form."""

    key: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")


class SettlementOut(BaseModel):
    id: int
    supplier_id: int
    supplier: str
    period_start: str
    period_end: str
    amount_fen: int
    reference: str
    settled_by: str
    settled_at: str


class SettledOut(SettlementOut):
    replayed: bool = Field(description="true：同一幂等键的结算已登记过，本次未重复付款")


class PurchaseItemOut(BaseModel):
    sku_id: int
    product: str
    spec: str
    quantity: int
    orders: int


class PurchaseSupplierOut(BaseModel):
    supplier_id: int
    supplier: str
    region: str
    items: list[PurchaseItemOut]
    total_quantity: int
    orders: int


class PurchaseListOut(BaseModel):
    day: str
    suppliers: list[PurchaseSupplierOut]


class SupplierSettlementOut(BaseModel):
    supplier_id: int
    supplier: str
    region: str
    origin_kind: str
    is_active: bool
    sold_fen: int = Field(description="区间内支付的订单中该供货方商品的金额")
    refunded_fen: int = Field(description="这些订单已退款的金额")
    refunding_fen: int = Field(description="这些订单退款待审核或处理中的金额")
    net_fen: int
    settled_fen: int = Field(description="结算区间截止于本区间内的已结算金额")
    owed_fen: int = Field(description="截至区间最后一天应付未结的金额（累计）")


class SettlementReportOut(BaseModel):
    since: str
    until: str
    suppliers: list[SupplierSettlementOut]


class SalesGroupOut(BaseModel):
    name: str
    sold_fen: int
    refunded_fen: int
    net_fen: int
    orders: int
    buyers: int


class SalesRegionOut(SalesGroupOut):
    origin_kind: str


class SalesCycleOut(SalesGroupOut):
    cycle_id: int
    region: str
    opens_at: str


class SalesReportOut(BaseModel):
    since: str
    until: str
    regions: list[SalesRegionOut]
    cycles: list[SalesCycleOut]
    total: SalesGroupOut
