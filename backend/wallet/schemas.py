"""Request shapes of the wallet API, and the shapes of its answers (published in /openapi.json;
amounts in fen)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from backend.accounts.service.people import StaffCategory
from backend.wallet.models import RefundMethod
from backend.wallet.service.cash_refund import Payout


class CardIssueIn(BaseModel):
    uid: str = Field(min_length=8, max_length=64)
    replace: bool = False


class CardReplaceIn(BaseModel):
    """补卡 at the console's card desk: the card replaced and the new card's UID."""

    card_id: int
    uid: str = Field(min_length=8, max_length=64)


class AdjustmentIn(BaseModel):
    cash_delta_fen: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=2, max_length=200)


class PayoutIn(BaseModel):
    """How cash is paid back: the method, its reference (bank transfer number, receipt number), why."""

    method: RefundMethod
    payout_reference: str = Field(default="", max_length=64)
    reason: str = Field(min_length=2, max_length=200)

    def payout(self) -> Payout:
        return Payout(self.method, self.payout_reference.strip(), self.reason.strip())


class CashRefundIn(PayoutIn):
    amount_fen: int = Field(ge=1, le=10_000_000)


class WalletCloseIn(PayoutIn):
    pass


class SubsidyRuleKeyIn(BaseModel):
    unit_code: str = Field(min_length=1, max_length=32)
    staff_category: StaffCategory


class SubsidyRuleIn(SubsidyRuleKeyIn):
    amount_fen: int = Field(ge=1, le=100_000)
    expires_monthly: bool = True


class SubsidyRunIn(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")


class TopUpIn(BaseModel):
    """A top-up; `client_ref` is the mini-program's key of the one tap, sent again on every retry
    of it (the same order comes back; never a second one)."""

    amount_fen: int = Field(ge=100, le=200_000)
    client_ref: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


# ---- answers (published in /openapi.json; they mirror the views the service returns) ----------


class Balances(BaseModel):
    cash_fen: int
    subsidy_fen: int
    total_fen: int
    overdraft_owed_fen: int = Field(description="脱机消费透支尚未归还的金额")


class BalanceOut(Balances):
    closed_at: str | None = Field(description="销户时间；未销户为 null")


class CardOut(BaseModel):
    id: int
    uid: str
    state: str
    state_label: str
    issued_at: str


class WalletOut(BaseModel):
    balance: BalanceOut
    cards: list[CardOut]


class HistoryLine(BaseModel):
    """One transfer of the wallet, with its cash and subsidy legs (negative: money out)."""

    transfer_id: int
    kind: str
    at: str
    memo: str
    cash_fen: int
    subsidy_fen: int


class AdjustedOut(Balances):
    replayed: bool = Field(description="true：这次提交已办理过，未重复记账")


class CashRefundOut(BaseModel):
    id: int
    amount_fen: int
    subsidy_forfeited_fen: int
    closes_wallet: bool
    method: str
    method_label: str
    payout_reference: str
    reason: str
    admin_name: str
    created_at: str


class CashRefundDoneOut(CashRefundOut):
    replayed: bool = Field(description="true：这次提交已办理过，未重复退款")


class SubsidyRuleOut(BaseModel):
    id: int
    unit: str = Field(description="单位编码")
    staff_category: str
    amount_fen: int
    expires_monthly: bool
    is_active: bool


class GrantFailure(BaseModel):
    person_id: int
    employee_no: str
    message: str


class SubsidyRunOut(BaseModel):
    month: str
    granted: int
    already: int = Field(description="本月已发放过、这次跳过的人数")
    closed: int = Field(description="已销户而未发放的人数")
    cleared: int = Field(description="上月餐补清零的人数")
    failed: list[GrantFailure]


class PayCodeOut(BaseModel):
    """The key a page computes a fresh pay code from every `step_seconds`, even offline."""

    key_id: str
    secret: str
    prefix: str
    step_seconds: int
    digits: int
    code: str = Field(description="当前的付款码")


class TopUpOrderOut(BaseModel):
    out_trade_no: str
    amount_fen: int
    status: str
    created_at: str
    paid_at: str | None


class RequestPayment(BaseModel):
    """The arguments of wx.requestPayment."""

    appId: str
    timeStamp: str
    nonceStr: str
    package: str
    signType: str
    paySign: str


class TopUpOut(BaseModel):
    """The order, and what wx.requestPayment needs to pay it (none once it is paid)."""

    order: TopUpOrderOut
    request_payment: RequestPayment | None
