"""Tables of the canteen module: canteens, terminals, meal periods, prices, dishes, payments."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class TerminalMode(LabelledEnum):
    FIXED_PRICE = "fixed_price", "定额（按餐次价格）"
    FREE_AMOUNT = "free_amount", "自由金额（键盘输入）"
    MENU = "menu", "菜品（服务端计价）"


class DinerCategory(LabelledEnum):
    STAFF = "staff", "职工"
    CONTRACTOR = "contractor", "外包人员"
    VISITOR = "visitor", "访客"


class PaymentStatus(LabelledEnum):
    PAID = "paid", "已支付"
    REFUSED = "refused", "已拒绝"
    REFUNDED = "refunded", "已退款"


class PayMethod(LabelledEnum):
    CARD = "card", "刷卡"
    PAY_CODE = "pay_code", "付款码"


class Canteen(Model):
    """A canteen (食堂)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    location = fields.CharField(max_length=200, default="")
    max_payment_fen = fields.IntField(default=10_000)
    offline_max_payment_fen = fields.IntField(default=3_000)
    offline_max_count_per_card = fields.IntField(default=3)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "canteen_canteen"


class Terminal(Model):
    """A payment terminal: a registered device placed in a canteen, with its payment mode."""

    id = fields.IntField(primary_key=True)
    device = fields.OneToOneField("houqin.Device", related_name="terminal", on_delete=fields.RESTRICT)
    canteen = fields.ForeignKeyField("houqin.Canteen", related_name="terminals", on_delete=fields.RESTRICT)
    mode = fields.CharEnumField(TerminalMode, max_length=16)
    name = fields.CharField(max_length=100)

    class Meta:
        table = "canteen_terminal"


class MealPeriod(Model):
    """A meal period of a canteen (早餐/午餐/晚餐) with its time window in Asia/Shanghai, kept as
    minutes after midnight (a wall-clock time has no time zone to be aware of)."""

    id = fields.IntField(primary_key=True)
    canteen = fields.ForeignKeyField("houqin.Canteen", related_name="periods", on_delete=fields.CASCADE)
    code = fields.CharField(max_length=16)
    name = fields.CharField(max_length=20)
    starts_minute = fields.SmallIntField()
    ends_minute = fields.SmallIntField()
    max_swipes_per_card = fields.IntField(default=1)
    booking_cutoff_hours = fields.IntField(default=2)

    class Meta:
        table = "canteen_meal_period"
        unique_together = (("canteen", "code"),)


class PriceRule(Model):
    """The price of a meal period for a diner category, and how much subsidy a meal may use."""

    id = fields.IntField(primary_key=True)
    period = fields.ForeignKeyField("houqin.MealPeriod", related_name="prices", on_delete=fields.CASCADE)
    diner_category = fields.CharEnumField(DinerCategory, max_length=16)
    price_fen = fields.IntField()
    subsidy_cap_fen = fields.IntField(default=0)

    class Meta:
        table = "canteen_price_rule"
        unique_together = (("period", "diner_category"),)


class Dish(Model):
    """A dish a canteen sells, priced by the server when a menu-mode terminal reports it."""

    id = fields.IntField(primary_key=True)
    canteen = fields.ForeignKeyField("houqin.Canteen", related_name="dishes", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=50)
    price_fen = fields.IntField()
    tags = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True)
    photo_key = fields.CharField(max_length=200, null=True)
    thumbnail_key = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "canteen_dish"


class CanteenPayment(Model):
    """A payment attempt at a terminal, paid or refused, kept as the answer to its retries.

    (terminal, terminal_txn_no) is the idempotency key: the terminal's own transaction number.
    """

    id = fields.BigIntField(primary_key=True)
    terminal = fields.ForeignKeyField("houqin.Terminal", related_name="payments", on_delete=fields.RESTRICT)
    terminal_txn_no = fields.CharField(max_length=64)
    canteen = fields.ForeignKeyField("houqin.Canteen", related_name="payments", on_delete=fields.RESTRICT)
    person = fields.ForeignKeyField(
        "houqin.Person", related_name="canteen_payments", null=True, on_delete=fields.RESTRICT
    )
    card_uid = fields.CharField(max_length=32, default="")
    method = fields.CharEnumField(PayMethod, max_length=16)
    business_date = fields.DateField(db_index=True)
    period_code = fields.CharField(max_length=16, default="")
    amount_fen = fields.IntField(default=0)
    subsidy_fen = fields.IntField(default=0)
    cash_fen = fields.IntField(default=0)
    status = fields.CharEnumField(PaymentStatus, max_length=16)
    refusal_code = fields.CharField(max_length=64, default="")
    answer = fields.JSONField()
    transfer = fields.ForeignKeyField(
        "houqin.Transfer", related_name="canteen_payments", null=True, on_delete=fields.RESTRICT
    )
    paid_at = fields.DatetimeField()
    offline = fields.BooleanField(default=False)
    lost_card_flag = fields.BooleanField(default=False)
    # Paid online, but the terminal got no answer in time and told the diner "refused".
    disputed = fields.BooleanField(default=False, db_default=False)
    overdraft_fen = fields.IntField(default=0)
    refund_reason = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "canteen_payment"
        unique_together = (("terminal", "terminal_txn_no"),)
        indexes = (("person_id", "business_date", "period_code"),)


class BookingStatus(LabelledEnum):
    BOOKED = "booked", "报餐"
    CANCELLED = "cancelled", "报停"


class MealBooking(Model):
    """A cadre's booking of a meal in advance (报餐): one per person, day and meal period."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="meal_bookings", on_delete=fields.RESTRICT)
    canteen = fields.ForeignKeyField("houqin.Canteen", related_name="bookings", on_delete=fields.RESTRICT)
    meal_date = fields.DateField()
    period_code = fields.CharField(max_length=16)
    status = fields.CharEnumField(BookingStatus, max_length=16)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "canteen_meal_booking"
        unique_together = (("person", "meal_date", "period_code"),)
        indexes = (("canteen_id", "meal_date", "period_code"),)


class BusinessTrip(Model):
    """A business trip reported by a cadre (出差报停): every booking inside it is cancelled."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="business_trips", on_delete=fields.RESTRICT)
    starts_on = fields.DateField()
    ends_on = fields.DateField()
    reason = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "canteen_business_trip"


class DailyMenu(Model):
    """The dishes a canteen serves in one meal period of one day."""

    id = fields.IntField(primary_key=True)
    canteen = fields.ForeignKeyField("houqin.Canteen", related_name="menus", on_delete=fields.CASCADE)
    menu_date = fields.DateField()
    period_code = fields.CharField(max_length=16)
    dish_ids = fields.JSONField(default=list)

    class Meta:
        table = "canteen_daily_menu"
        unique_together = (("canteen", "menu_date", "period_code"),)


class DishRating(Model):
    """A diner's rating of a dish they were served: only after paying in that meal."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="dish_ratings", on_delete=fields.RESTRICT)
    dish = fields.ForeignKeyField("houqin.Dish", related_name="ratings", on_delete=fields.CASCADE)
    payment = fields.ForeignKeyField("houqin.CanteenPayment", related_name="ratings", on_delete=fields.RESTRICT)
    score = fields.SmallIntField()
    comment = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "canteen_dish_rating"
        unique_together = (("payment", "dish"),)
