"""Request shapes of the produce shop's API and the shapes of its answers (published in
/openapi.json)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# ---- H2 orders ---------------------------------------------------------------------------------

# Bounded only to a sane integer: the service says in the shop's own words what a quantity may be.
Quantity = Annotated[int, Field(ge=-1_000_000, le=1_000_000)]


class CartLineIn(BaseModel):
    """How many of a SKU the basket should hold (0 takes it out)."""

    quantity: Quantity


class OrderLineIn(BaseModel):
    """A line of an order placed without the basket; any price sent with it is ignored."""

    sku_id: Id
    quantity: Quantity


class OrderIn(BaseModel):
    """A new order. `client_ref` is made by the mini-program once per checkout, so a retry after
    a lost answer orders nothing twice. Without `lines`, the basket is ordered."""

    client_ref: str = Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")
    lines: list[OrderLineIn] | None = Field(default=None, max_length=30)


class CartCycleOut(BaseModel):
    id: int
    title: str
    closes_at: datetime


class CartLineOut(BaseModel):
    sku_id: int
    product_id: int
    product_name: str
    spec: str
    unit_price_fen: int
    quantity: int
    amount_fen: int
    stock: int
    per_person_limit: int = Field(description="每人每期限购件数，0 为不限")
    available: bool
    problem: str | None = Field(description="不能下单的原因（可以下单时为空）")


class CartOut(BaseModel):
    """The basket of the cycle open now (no cycle: empty, `cycle` null)."""

    cycle: CartCycleOut | None
    lines: list[CartLineOut]
    total_fen: int
    orderable: bool


class OrderCycleOut(BaseModel):
    id: int
    title: str


class OrderLineOut(BaseModel):
    id: int
    sku_id: int
    product_name: str
    spec: str
    unit_price_fen: int
    quantity: int
    amount_fen: int
    refunded_quantity: int
    refunded_fen: int


class OrderPickupOut(BaseModel):
    day: date
    place: str
    code: str | None = Field(description="取货码（已支付、待取货时给下单人）")
    ready_at: datetime | None
    picked_up_at: datetime | None
    picked_up_place: str


class OrderRefundOut(BaseModel):
    refund_no: str
    line_id: int
    quantity: int
    amount_fen: int
    method: str
    method_label: str
    state: str
    state_label: str
    reason: str
    created_at: datetime
    finished_at: datetime | None


class OrderOut(BaseModel):
    """An order as its cadre sees it."""

    order_no: str
    state: str
    state_label: str
    resume_state: str | None = Field(description="退款中的订单退款结束后回到的状态")
    resume_state_label: str
    cycle: OrderCycleOut | None
    lines: list[OrderLineOut]
    total_fen: int
    paid_fen: int
    refunded_fen: int
    pay_method: str | None
    pay_method_label: str
    created_at: datetime
    expires_at: datetime = Field(description="待支付订单的支付截止时间，过时自动取消")
    paid_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    can_cancel: bool
    pickup: OrderPickupOut
    refunds: list[OrderRefundOut]
