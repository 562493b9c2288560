"""Tables of the produce shop (共富食味坊): suppliers (the farms and cooperatives), products and
their SKUs with a stock ledger, the weekly theme as an order cycle, carts, orders with their
lines, payments, refunds, pickups and the settlements paid to suppliers.

Stock is a running count on the SKU, changed only by one guarded statement (`stock >= q`), and
every change is also a row of the stock ledger, so that a SKU's stock always equals the sum of
its moves: the reconciliation proves nothing was oversold or lost. An order holds one payment at
most (unique), whichever of the wallet, a notification or a query got there first."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class Category(LabelledEnum):
    FRUIT = "fruit", "鲜果"
    VEGETABLE = "vegetable", "蔬菜"
    AQUATIC = "aquatic", "水产"
    MEAT = "meat", "肉禽蛋"
    DRY = "dry", "干货"
    GRAIN_OIL = "grain_oil", "粮油"
    OTHER = "other", "其他"


class OriginKind(LabelledEnum):
    LOCAL = "local", "本地"
    PARTNER = "partner", "对口协作地区"


class StockReason(LabelledEnum):
    STOCK_IN = "stock_in", "入库"
    ADJUST = "adjust", "盘点调整"
    ORDER = "order", "下单占用"
    RELEASE = "release", "取消释放"
    RESTOCK = "restock", "退款回库"


class OrderState(LabelledEnum):
    PENDING = "pending", "待支付"
    PAID = "paid", "已支付"
    READY = "ready", "待取货"
    PICKED_UP = "picked_up", "已取货"
    CANCELLED = "cancelled", "已取消"
    REFUNDING = "refunding", "退款中"
    REFUNDED = "refunded", "已退款"


class PayMethod(LabelledEnum):
    WALLET = "wallet", "一卡通余额"
    WECHAT = "wechat", "微信支付"


class RefundState(LabelledEnum):
    REQUESTED = "requested", "待审核"
    PROCESSING = "processing", "退款中"
    SUCCEEDED = "succeeded", "已退款"
    REJECTED = "rejected", "已拒绝"
    FAILED = "failed", "退款失败"


class Supplier(Model):
    """A farm, fisher or cooperative (供货方) the shop buys from and settles with. The contact's
    phone is personal data: stored encrypted, shown masked."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    region = fields.CharField(max_length=100)
    origin_kind = fields.CharEnumField(OriginKind, max_length=16)
    contact_name = fields.CharField(max_length=50, default="")
    phone_encrypted = fields.TextField(default="")
    note = fields.CharField(max_length=500, default="")
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shop_supplier"


class Product(Model):
    """A product (商品) as cadres see it: its origin (产地), supplier, category, photo, story."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=100)
    supplier = fields.ForeignKeyField("houqin.Supplier", related_name="products", on_delete=fields.RESTRICT)
    category = fields.CharEnumField(Category, max_length=16)
    origin = fields.CharField(max_length=100)
    origin_kind = fields.CharEnumField(OriginKind, max_length=16)
    description = fields.TextField(default="")
    photo_key = fields.CharField(max_length=200, null=True)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shop_product"


class Sku(Model):
    """One way a product is sold (规格: 500 g, 一箱 5 kg) with its price, stock and per-person
    limit per cycle (0: none). `stock` is what can still be ordered."""

    id = fields.IntField(primary_key=True)
    product = fields.ForeignKeyField("houqin.Product", related_name="skus", on_delete=fields.RESTRICT)
    spec = fields.CharField(max_length=50)
    price_fen = fields.BigIntField()
    stock = fields.IntField(default=0)
    per_person_limit = fields.IntField(default=0)
    on_shelf = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shop_sku"
        unique_together = (("product", "spec"),)


class StockMove(Model):
    """One change of a SKU's stock, written with it: the ledger its running count must equal.
    A stock-in or adjustment carries the key of the form or request that made it, so a form sent
    twice moves the stock once."""

    id = fields.BigIntField(primary_key=True)
    sku = fields.ForeignKeyField("houqin.Sku", related_name="moves", on_delete=fields.RESTRICT)
    delta = fields.IntField()
    reason = fields.CharEnumField(StockReason, max_length=16)
    order_id = fields.BigIntField(null=True)
    actor = fields.CharField(max_length=100, default="")
    note = fields.CharField(max_length=200, default="")
    idempotency_key = fields.CharField(max_length=64, null=True, unique=True)
    at = fields.DatetimeField()

    class Meta:
        table = "shop_stock_move"
        indexes = (("sku_id", "at"), ("order_id",))


class Cycle(Model):
    """A theme week (周一品一特色) as an order cycle: ordering opens and closes at set times, the
    goods are picked up on the pickup days. Only one cycle is open at any moment."""

    id = fields.IntField(primary_key=True)
    title = fields.CharField(max_length=100)
    region = fields.CharField(max_length=100, default="")
    story = fields.TextField(default="")
    banner_key = fields.CharField(max_length=200, null=True)
    opens_at = fields.DatetimeField()
    closes_at = fields.DatetimeField()
    pickup_days = fields.JSONField(default=list)
    pickup_place = fields.CharField(max_length=100)
    cloned_from = fields.ForeignKeyField("houqin.Cycle", related_name="clones", null=True, on_delete=fields.SET_NULL)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "shop_cycle"
        indexes = (("opens_at", "closes_at"),)


class CycleItem(Model):
    """A SKU sold in a cycle, featured or not. A pre-sale batch (预售) of fresh goods has its own
    ordering cut-off and pickup day inside the cycle."""

    id = fields.IntField(primary_key=True)
    cycle = fields.ForeignKeyField("houqin.Cycle", related_name="items", on_delete=fields.CASCADE)
    sku = fields.ForeignKeyField("houqin.Sku", related_name="cycle_items", on_delete=fields.RESTRICT)
    featured = fields.BooleanField(default=False)
    position = fields.IntField(default=0)
    presale_cutoff = fields.DatetimeField(null=True)
    pickup_day = fields.DateField(null=True)

    class Meta:
        table = "shop_cycle_item"
        unique_together = (("cycle", "sku"),)


class Basket(Model):
    """A cadre's cart in one cycle (it never carries into another). Its row is also the lock that
    queues one cadre's orders in a cycle, so per-person limits hold under concurrency."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="shop_baskets", on_delete=fields.RESTRICT)
    cycle = fields.ForeignKeyField("houqin.Cycle", related_name="baskets", on_delete=fields.CASCADE)
    lines = fields.JSONField(default=dict)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "shop_basket"
        unique_together = (("person", "cycle"),)


class Order(Model):
    """A cadre's order in a cycle. Prices are the server's at ordering time. `paid_fen` and
    `refunded_fen` are what the payment and the finished refunds moved. `resume_state` is the
    state a refund returns the order to when it leaves part of it standing."""

    id = fields.BigIntField(primary_key=True)
    order_no = fields.CharField(max_length=32, unique=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="shop_orders", on_delete=fields.RESTRICT)
    cycle = fields.ForeignKeyField("houqin.Cycle", related_name="orders", on_delete=fields.RESTRICT)
    client_ref = fields.CharField(max_length=64)
    state = fields.CharEnumField(OrderState, max_length=16, default=OrderState.PENDING)
    resume_state = fields.CharEnumField(OrderState, max_length=16, null=True)
    total_fen = fields.BigIntField()
    paid_fen = fields.BigIntField(default=0)
    refunded_fen = fields.BigIntField(default=0)
    pay_method = fields.CharEnumField(PayMethod, max_length=16, null=True)
    out_trade_no = fields.CharField(max_length=32, null=True, unique=True)
    pickup_code = fields.CharField(max_length=16, unique=True)
    pickup_day = fields.DateField()
    pickup_place = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    cancelled_at = fields.DatetimeField(null=True)
    cancel_reason = fields.CharField(max_length=200, default="")
    ready_at = fields.DatetimeField(null=True)
    reminded_at = fields.DatetimeField(null=True)
    picked_up_at = fields.DatetimeField(null=True)
    picked_up_by = fields.CharField(max_length=100, default="")
    picked_up_place = fields.CharField(max_length=100, default="")

    class Meta:
        table = "shop_order"
        unique_together = (("person", "client_ref"),)
        indexes = (("state", "expires_at"), ("cycle_id", "state"), ("pickup_day", "state"), ("person_id", "created_at"))


class OrderLine(Model):
    """One SKU of an order, with its name, spec, supplier and price as they were when ordered."""

    id = fields.BigIntField(primary_key=True)
    order = fields.ForeignKeyField("houqin.Order", related_name="lines", on_delete=fields.CASCADE)
    sku = fields.ForeignKeyField("houqin.Sku", related_name="order_lines", on_delete=fields.RESTRICT)
    supplier = fields.ForeignKeyField("houqin.Supplier", related_name="order_lines", on_delete=fields.RESTRICT)
    product_name = fields.CharField(max_length=100)
    spec = fields.CharField(max_length=50)
    unit_price_fen = fields.BigIntField()
    quantity = fields.IntField()
    amount_fen = fields.BigIntField()
    refunded_quantity = fields.IntField(default=0)
    refunded_fen = fields.BigIntField(default=0)

    class Meta:
        table = "shop_order_line"


class Payment(Model):
    """The one payment of an order (unique): from the wallet's cash with its ledger voucher, or
    by WeChat Pay with WeChat's transaction id (booked even for an order cancelled meanwhile,
    which is then refunded)."""

    id = fields.BigIntField(primary_key=True)
    order = fields.OneToOneField("houqin.Order", related_name="payment", on_delete=fields.RESTRICT)
    method = fields.CharEnumField(PayMethod, max_length=16)
    amount_fen = fields.BigIntField()
    transfer_id = fields.BigIntField(null=True)
    transaction_id = fields.CharField(max_length=64, null=True, unique=True)
    paid_at = fields.DatetimeField()

    class Meta:
        table = "shop_payment"


class Refund(Model):
    """A refund of part of one line (退款), with its own refund number: asked by the cadre
    (待审核) or made by staff, then paid back where the money came from. `restock` when the
    goods were never handed over."""

    id = fields.BigIntField(primary_key=True)
    refund_no = fields.CharField(max_length=32, unique=True)
    order = fields.ForeignKeyField("houqin.Order", related_name="refunds", on_delete=fields.RESTRICT)
    line = fields.ForeignKeyField("houqin.OrderLine", related_name="refunds", on_delete=fields.RESTRICT)
    quantity = fields.IntField()
    amount_fen = fields.BigIntField()
    method = fields.CharEnumField(PayMethod, max_length=16)
    state = fields.CharEnumField(RefundState, max_length=16)
    reason = fields.CharField(max_length=200)
    restock = fields.BooleanField(default=False)
    requested_by = fields.CharField(max_length=100)
    decided_by = fields.CharField(max_length=100, default="")
    decision_note = fields.CharField(max_length=200, default="")
    idempotency_key = fields.CharField(max_length=64, null=True, unique=True)
    transfer_id = fields.BigIntField(null=True)
    wechat_refund_id = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "shop_refund"
        indexes = (("state", "created_at"),)


class Settlement(Model):
    """Money paid out to a supplier for a period (供应商结算), booked from the shop's revenue."""

    id = fields.IntField(primary_key=True)
    supplier = fields.ForeignKeyField("houqin.Supplier", related_name="settlements", on_delete=fields.RESTRICT)
    period_start = fields.DateField()
    period_end = fields.DateField()
    amount_fen = fields.BigIntField()
    reference = fields.CharField(max_length=100, default="")
    transfer_id = fields.BigIntField()
    settled_by = fields.CharField(max_length=100)
    settled_at = fields.DatetimeField()
    idempotency_key = fields.CharField(max_length=64, unique=True)

    class Meta:
        table = "shop_settlement"
        indexes = (("supplier_id", "period_start"),)
