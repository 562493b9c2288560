"""Request shapes of the wallet API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class CardIssueIn(BaseModel):
    uid: str = Field(min_length=8, max_length=64)
    replace: bool = False


class AdjustmentIn(BaseModel):
    cash_delta_fen: int = Field(ge=-1_000_000, le=1_000_000)
    reason: str = Field(min_length=2, max_length=200)


class TopUpIn(BaseModel):
    amount_fen: int = Field(ge=100, le=200_000)
