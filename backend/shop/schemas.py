"""Request shapes of the produce shop's APIs, and the shapes of its answers (published in
/openapi.json; amounts in fen)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# ---- H3 money: payment and refunds --------------------------------------------------------


class PayIn(BaseModel):
    method: Literal["wallet", "wechat"] = Field(description="wallet：一卡通现金余额；wechat：微信支付")


class RefundAskIn(BaseModel):
    line_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=99)
    reason: str = Field(min_length=2, max_length=200)


class StaffRefundIn(RefundAskIn):
    order_no: str = Field(min_length=1, max_length=32)


class RefundDecisionIn(BaseModel):
    note: str = Field(default="", max_length=200)


class PaymentOut(BaseModel):
    order_no: str
    state: str
    state_label: str
    total_fen: int
    paid_fen: int
    method: str | None = Field(description="wallet 或 wechat；未支付为 null")
    method_label: str | None
    paid_at: str | None


class PayOut(BaseModel):
    payment: PaymentOut | None = Field(description="订单的支付情况（余额支付后即为已支付）")
    request_payment: dict[str, str] | None = Field(
        description="微信支付：传给 wx.requestPayment 的参数；余额支付或订单已支付时为 null"
    )


class RefundOut(BaseModel):
    refund_no: str
    order_no: str
    line_id: int
    product_name: str
    spec: str
    quantity: int
    amount_fen: int
    method: str
    method_label: str
    state: str
    state_label: str
    reason: str
    restock: bool = Field(description="退款成功后商品回到库存（未取货时）")
    requested_by: str
    decided_by: str
    decision_note: str
    created_at: str
    finished_at: str | None
