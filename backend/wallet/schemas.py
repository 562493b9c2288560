"""Request shapes of the wallet API."""

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
    amount_fen: int = Field(ge=100, le=200_000)
