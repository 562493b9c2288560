"""Request shapes of the produce shop's APIs (console, mini-program, terminals), and the shapes
of its answers (published in /openapi.json; amounts in fen). Each part keeps its own block."""

from __future__ import annotations

from pydantic import BaseModel, Field

# ---- H4 pickup and kiosk ------------------------------------------------------------------------

ORDER_NO = r"^[A-Z0-9]{1,32}$"


class PickupLookupIn(BaseModel):
    """What the scanner read (the order's pickup QR) or the 8-digit code typed at a counter."""

    code: str = Field(min_length=1, max_length=200)


class PickupConfirmIn(BaseModel):
    """The order shown after a lookup, confirmed by staff: its number and what was read for it
    (the QR or the typed code)."""

    order_no: str = Field(pattern=ORDER_NO)
    code: str = Field(min_length=1, max_length=200)


class PickupLineOut(BaseModel):
    product_name: str
    spec: str
    quantity: int = Field(description="仍要交付的数量（已扣除退款）")
    refunded_quantity: int


class PickupOut(BaseModel):
    order_no: str
    state: str
    state_label: str
    person_name: str = Field(description="取货人姓名（脱敏）")
    pickup_day: str
    pickup_place: str
    lines: list[PickupLineOut]
    total_fen: int
    refunded_fen: int
    picked_up_at: str | None
    picked_up_place: str
    can_hand_over: bool
    refusal: str = Field(description="不能交付的原因；可以交付时为空")
