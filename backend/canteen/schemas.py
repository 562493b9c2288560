"""Request shapes of the canteen API (terminals, console, mini-program), and the shapes of its
answers (published in /openapi.json; amounts in fen)."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, ValidationInfo, field_validator, model_validator

from backend.canteen.models import DinerCategory, TerminalMode
from backend.canteen.service.summaries import MAX_RANGE_DAYS
from backend.core.timeutil import plausible, typed_day

TXN_NO = r"^[A-Za-z0-9_-]{1,64}$"
MAX_AMOUNT_FEN = 1_000_000


MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class PayItemIn(BaseModel):
    dish_id: Id
    quantity: int = Field(default=1, ge=1, le=20)


class TerminalPayIn(BaseModel):
    """A payment at a terminal: a card UID or a pay code, never both; the terminal's own
    transaction number makes retries safe."""

    txn_no: str = Field(pattern=TXN_NO)
    card_uid: str | None = Field(default=None, max_length=64)
    pay_code: str | None = Field(default=None, max_length=32)
    amount_fen: int | None = Field(default=None, ge=1, le=MAX_AMOUNT_FEN)
    items: list[PayItemIn] = Field(default_factory=list, max_length=30)

    @model_validator(mode="after")
    def one_credential(self) -> TerminalPayIn:
        if bool(self.card_uid) == bool(self.pay_code):
            raise ValueError("请刷卡或扫付款码（二选一）")
        return self


class OfflinePaymentIn(BaseModel):
    txn_no: str = Field(pattern=TXN_NO)
    card_uid: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(ge=0, le=MAX_AMOUNT_FEN)
    paid_at: AwareDatetime
    # An unanswered online attempt the terminal then refused offline: it took nothing (amount 0).
    voided: bool = False

    @model_validator(mode="after")
    def _amount_taken(self) -> OfflinePaymentIn:
        if not self.voided and self.amount_fen < 1:
            raise ValueError("已收款的流水金额至少为 1 分")
        return self


class OfflineBatchIn(BaseModel):
    payments: list[OfflinePaymentIn] = Field(min_length=1, max_length=200)


class CanteenCreateIn(BaseModel):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)
    location: str = Field(default="", max_length=200)
    max_payment_fen: int = Field(default=10_000, ge=1, le=MAX_AMOUNT_FEN)


class CanteenUpdateIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    location: str = Field(default="", max_length=200)
    max_payment_fen: int = Field(ge=1, le=MAX_AMOUNT_FEN)
    offline_max_payment_fen: int = Field(ge=0, le=MAX_AMOUNT_FEN)
    offline_max_count_per_card: int = Field(ge=0, le=20)


class PriceIn(BaseModel):
    # A meal is never free here: a zero price would be a payment with no money to book.
    price_fen: int = Field(ge=1, le=MAX_AMOUNT_FEN)
    subsidy_cap_fen: int = Field(default=0, ge=0, le=MAX_AMOUNT_FEN)


class PeriodIn(BaseModel):
    code: str = Field(pattern=r"^[a-z_]{2,16}$")
    name: str = Field(min_length=1, max_length=20)
    starts_at: time
    ends_at: time
    max_swipes_per_card: int = Field(default=1, ge=1, le=10)
    booking_cutoff_hours: int = Field(default=2, ge=0, le=72)
    prices: dict[DinerCategory, PriceIn] = Field(default_factory=dict)


class TerminalBindIn(BaseModel):
    device_code: str = Field(min_length=1, max_length=32)
    mode: TerminalMode
    name: str = Field(min_length=1, max_length=100)


class DishIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    price_fen: int = Field(ge=0, le=MAX_AMOUNT_FEN)
    tags: list[str] = Field(default_factory=list, max_length=10)


class DishUpdateIn(DishIn):
    """A dish changed from the console; `is_active` false takes it off sale (下架)."""

    is_active: bool = False


class RefundIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200)


class BookingIn(BaseModel):
    canteen: str = Field(min_length=1, max_length=32)
    date: date
    period: str = Field(pattern=r"^[a-z_]{2,16}$")


class BookingCancelIn(BaseModel):
    date: date
    period: str = Field(pattern=r"^[a-z_]{2,16}$")


class TripIn(BaseModel):
    starts_on: date
    ends_on: date
    reason: str = Field(default="", max_length=100)


class MenuIn(BaseModel):
    date: date
    period: str = Field(pattern=r"^[a-z_]{2,16}$")
    dish_ids: list[Id] = Field(min_length=1, max_length=60)


class RatingIn(BaseModel):
    payment_id: Id
    dish_id: Id
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=200)


class ReportRangeIn(BaseModel):
    """A report over business days `start` to `end` (both included), at most MAX_RANGE_DAYS."""

    start: date
    end: date
    canteen: str | None = Field(default=None, max_length=32)

    _days = field_validator("start", "end", mode="before")(typed_day)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError("结束日期不能早于开始日期")
        if start is not None and (end - start).days + 1 > MAX_RANGE_DAYS:
            raise ValueError(f"统计区间最长 {MAX_RANGE_DAYS} 天，请缩短区间或按月查看")
        return end


class ReportMonthIn(BaseModel):
    """A report over one calendar month, typed YYYY-MM."""

    month: str
    canteen: str | None = Field(default=None, max_length=32)

    @field_validator("month")
    @classmethod
    def _a_month(cls, month: str) -> str:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise ValueError("请选择月份，如 2026-01")
        if not plausible(date(int(month[:4]), 1, 1)):
            raise ValueError("请选择 2000 至 2100 年间的月份")
        return month


# ---- answers (published in /openapi.json; they mirror the views the service returns) ----------


class CanteenOut(BaseModel):
    id: int
    code: str
    name: str
    location: str
    max_payment_fen: int
    offline_max_payment_fen: int
    offline_max_count_per_card: int


class Price(BaseModel):
    price_fen: int
    subsidy_cap_fen: int


class PeriodOut(BaseModel):
    code: str
    name: str
    starts_at: str = Field(description="HH:MM")
    ends_at: str = Field(description="HH:MM")
    max_swipes_per_card: int
    booking_cutoff_hours: int
    prices: dict[str, Price] = Field(description="按就餐人类别（staff、contractor、visitor）的价格")


class CanteenWithPeriodsOut(CanteenOut):
    periods: list[PeriodOut]


class TerminalOut(BaseModel):
    id: int
    name: str
    mode: str
    device_id: int
    device_code: str
    device_state: str


class BoundTerminalOut(BaseModel):
    id: int
    device: str = Field(description="设备编码")
    canteen: str = Field(description="食堂编码")
    mode: str
    name: str


class CreatedDishOut(BaseModel):
    id: int
    name: str
    price_fen: int
    tags: list[str]
    is_active: bool


class DishOut(BaseModel):
    id: int
    name: str
    price_fen: int
    tags: list[str]
    has_photo: bool


class PaymentOut(BaseModel):
    id: int
    terminal_txn_no: str
    canteen_id: int
    terminal_id: int
    person_id: int | None
    card_uid: str
    method: str
    business_date: str
    period: str
    status: str
    refusal_code: str = Field(description="被拒绝时的错误码")
    amount_fen: int
    subsidy_fen: int
    cash_fen: int
    paid_at: str
    offline: bool
    lost_card_flag: bool
    disputed: bool
    overdraft_fen: int
    refund_reason: str


class RefundOut(BaseModel):
    payment_id: int
    status: str
    amount_fen: int
    cash_fen: int
    subsidy_fen: int
    reason: str
    transfer_id: int


class DailyLine(BaseModel):
    canteen: str
    canteen_name: str
    terminal_id: int
    terminal: str
    period: str
    count: int
    amount_fen: int
    subsidy_fen: int
    cash_fen: int


class DailyReportOut(BaseModel):
    day: str
    lines: list[DailyLine]


class MenuOut(BaseModel):
    canteen: str
    date: str
    period: str
    dish_ids: list[int]


class PeriodBookings(BaseModel):
    period: str
    name: str
    starts_at: str
    booked: int


class KitchenCountsOut(BaseModel):
    day: str
    periods: list[PeriodBookings]


class PeriodNoShows(BaseModel):
    period: str
    name: str
    booked: int
    eaten: int
    no_shows: int
    no_show_rate: float


class NoShowsOut(BaseModel):
    canteen: str
    from_: str = Field(alias="from")
    to: str
    booked: int
    no_shows: int
    no_show_rate: float
    periods: list[PeriodNoShows]


class RecentRating(BaseModel):
    score: int
    comment: str
    created_at: str


class DishRatingsOut(BaseModel):
    dish_id: int
    count: int
    average: float | None
    recent: list[RecentRating]


class DailyMenu(BaseModel):
    period: str
    dishes: list[DishOut]


class DailyMenusOut(BaseModel):
    canteen: str
    menus: list[DailyMenu]


class BookingOut(BaseModel):
    canteen: str
    date: str
    period: str
    status: str


class TripOut(BaseModel):
    id: int
    starts_on: str
    ends_on: str
    reason: str
    cancelled_bookings: int


class MealOut(BaseModel):
    payment_id: int
    canteen: str = Field(description="食堂名称")
    date: str
    period: str
    amount_fen: int
    dish_ids: list[int]


class RatingOut(BaseModel):
    id: int
    dish_id: int
    score: int
    comment: str
