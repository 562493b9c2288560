"""Request shapes of the produce shop's console forms and API, and the shapes of its answers
(published in /openapi.json; amounts in fen)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from backend.core.timeutil import typed_day
from backend.shop.models import Category, OriginKind

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


# ---- reports and settlement ----------------------------------------------------------------


class SettlementIn(BaseModel):
    """A settlement paid to a supplier (供货方结算) for a period, with the bank or voucher
    reference. Whether the amount is owed is the service's to say."""

    supplier_id: Id
    period_start: date
    period_end: date
    # Up to ten million yuan: more than a supplier is ever owed at once.
    amount_fen: int = Field(ge=1, le=1_000_000_000)
    reference: str = Field(default="", max_length=100)

    _days = field_validator("period_start", "period_end", mode="before")(typed_day)


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


# ---- catalogue: suppliers, products, SKUs, stock, theme weeks -------------------------------


class SupplierIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    region: str = Field(min_length=2, max_length=100, description="所在地区，如 新疆阿克苏地区")
    origin_kind: OriginKind
    contact_name: str = Field(default="", max_length=50)
    phone: str | None = Field(default=None, max_length=20, description="联系电话；不传则保留原号码，传空字符串则删除")
    note: str = Field(default="", max_length=500)
    is_active: bool = True


class ProductIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    supplier_id: Id
    category: Category
    origin: str = Field(min_length=2, max_length=100, description="产地")
    origin_kind: OriginKind
    description: str = Field(default="", max_length=2000)
    is_active: bool = True


class SkuIn(BaseModel):
    spec: str = Field(min_length=1, max_length=50, description="规格，如 500 g、一箱 5 kg")
    price_fen: int = Field(description="价格（分），大于 0")
    per_person_limit: int = Field(default=0, description="每人每期限购件数，0 为不限")
    on_shelf: bool = True


class StockInIn(BaseModel):
    quantity: int = Field(description="入库数量，大于 0")
    note: str = Field(default="", max_length=200, description="如 批次、送货单号")


class AdjustIn(BaseModel):
    delta: int = Field(description="调整数量：盘盈为正，盘亏为负，不为 0")
    note: str = Field(min_length=2, max_length=200, description="调整原因")


class CycleIn(BaseModel):
    title: str = Field(min_length=2, max_length=100)
    region: str = Field(default="", max_length=100, description="本期推介的地区")
    story: str = Field(default="", max_length=5000, description="地区故事")
    opens_at: datetime = Field(description="开始下单时间（不带时区时按北京时间）")
    closes_at: datetime = Field(description="截单时间")
    pickup_days: list[date] = Field(min_length=1, max_length=7)
    pickup_place: str = Field(min_length=2, max_length=100)


class CycleItemIn(BaseModel):
    sku_id: Id
    featured: bool = False
    position: int = Field(default=0, ge=0, le=999)
    presale_cutoff: datetime | None = Field(default=None, description="预售截单时间（在本期下单时间之内）")
    pickup_day: date | None = Field(default=None, description="本商品的取货日（预售必填）")


class CycleItemUpdateIn(BaseModel):
    featured: bool = False
    position: int = Field(default=0, ge=0, le=999)
    presale_cutoff: datetime | None = None
    pickup_day: date | None = None


class SupplierOut(BaseModel):
    id: int
    name: str
    region: str
    origin_kind: OriginKind
    origin_kind_label: str
    contact_name: str
    phone: str | None = Field(description="已脱敏的联系电话")
    note: str
    is_active: bool


class ProductOut(BaseModel):
    id: int
    name: str
    supplier_id: int
    supplier_name: str
    category: Category
    category_label: str
    origin: str
    origin_kind: OriginKind
    origin_kind_label: str
    description: str
    has_photo: bool
    is_active: bool


class ProductRowOut(ProductOut):
    sku_count: int
    stock: int
    min_price_fen: int | None
    max_price_fen: int | None


class SkuOut(BaseModel):
    id: int
    product_id: int
    product_name: str
    spec: str
    price_fen: int
    stock: int
    per_person_limit: int
    on_shelf: bool


class ProductDetailOut(ProductOut):
    skus: list[SkuOut]


class StockMoveOut(BaseModel):
    id: int
    at: datetime
    delta: int
    reason: str
    reason_label: str
    order_id: int | None
    actor: str
    note: str


class CycleOut(BaseModel):
    id: int
    title: str
    region: str
    story: str
    has_banner: bool
    opens_at: datetime
    closes_at: datetime
    pickup_days: list[date]
    pickup_place: str
    cloned_from_id: int | None


class CycleRowOut(CycleOut):
    status_label: str = Field(description="未开始、下单中或已截单")


class CycleItemOut(BaseModel):
    id: int
    sku_id: int
    product_id: int
    product_name: str
    spec: str
    price_fen: int
    stock: int
    on_shelf: bool
    featured: bool
    position: int
    presale_cutoff: datetime | None
    pickup_day: date | None


class CycleDetailOut(CycleRowOut):
    items: list[CycleItemOut]


class ShelfSkuOut(BaseModel):
    """A SKU as a cadre sees it in this week's shop."""

    sku_id: int
    spec: str
    price_fen: int
    stock: int = Field(description="剩余可下单数量")
    sold_out: bool
    per_person_limit: int = Field(description="每人本期限购件数，0 为不限")
    featured: bool
    presale_cutoff: datetime | None = Field(description="预售截单时间；非预售为空")
    pickup_day: date | None = Field(description="本商品的取货日；为空时按本期取货日")


class ShelfProductOut(BaseModel):
    product_id: int
    name: str
    category: Category
    category_label: str
    origin: str
    origin_kind: OriginKind
    origin_kind_label: str
    supplier_name: str
    photo_url: str | None
    thumbnail_url: str | None
    from_price_fen: int = Field(description="最低规格价格（分）")
    featured: bool
    skus: list[ShelfSkuOut]


class ShelfProductDetailOut(ShelfProductOut):
    description: str
    supplier_region: str


class ShopCycleOut(BaseModel):
    id: int
    title: str
    region: str
    story: str
    banner_url: str | None
    opens_at: datetime
    closes_at: datetime
    pickup_days: list[date]
    pickup_place: str


class ShopHomeOut(BaseModel):
    current: ShopCycleOut | None = Field(description="正在下单的主题周；没有时为空")
    featured: list[ShelfProductOut] = Field(description="本期主推商品")
    next: ShopCycleOut | None = Field(description="下一期主题周（预告）")


class ShelfOut(BaseModel):
    cycle_id: int | None = Field(description="本期主题周；没有正在下单的主题周时为空，商品列表为空")
    items: list[ShelfProductOut]


# ---- pickup and kiosk ------------------------------------------------------------------------

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


# ---- money: payment and refunds --------------------------------------------------------


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


# ---- orders ---------------------------------------------------------------------------------

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
