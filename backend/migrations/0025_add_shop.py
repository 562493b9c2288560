import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from backend.shop.models import Category, OrderState, OriginKind, PayMethod, RefundState, StockReason
from backend.wallet.models import TransferKind


class Migration(migrations.Migration):
    dependencies = [("houqin", "0024_fleet_platform_device_kind")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Cycle",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("title", fields.CharField(max_length=100)),
                ("region", fields.CharField(default="", max_length=100)),
                ("story", fields.TextField(default="", unique=False)),
                ("banner_key", fields.CharField(null=True, max_length=200)),
                ("opens_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("closes_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                (
                    "pickup_days",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("pickup_place", fields.CharField(max_length=100)),
                (
                    "cloned_from",
                    fields.ForeignKeyField(
                        "houqin.Cycle",
                        source_field="cloned_from_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="clones",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "shop_cycle",
                "app": "houqin",
                "indexes": [Index(fields=["opens_at", "closes_at"])],
                "pk_attr": "id",
                "table_description": "A theme week (周一品一特色) as an order cycle: ordering opens and closes at set times, the",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Basket",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="shop_baskets",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "cycle",
                    fields.ForeignKeyField(
                        "houqin.Cycle",
                        source_field="cycle_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="baskets",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "lines",
                    fields.JSONField(
                        default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "shop_basket",
                "app": "houqin",
                "unique_together": (("person", "cycle"),),
                "pk_attr": "id",
                "table_description": "A cadre's cart in one cycle (it never carries into another). Its row is also the lock that",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Order",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("order_no", fields.CharField(unique=True, max_length=32)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="shop_orders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "cycle",
                    fields.ForeignKeyField(
                        "houqin.Cycle",
                        source_field="cycle_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="orders",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("client_ref", fields.CharField(max_length=64)),
                (
                    "state",
                    fields.CharEnumField(
                        default=OrderState.PENDING,
                        description="PENDING: pending\nPAID: paid\nREADY: ready\nPICKED_UP: picked_up\nCANCELLED: cancelled\nREFUNDING: refunding\nREFUNDED: refunded",
                        enum_type=OrderState,
                        max_length=16,
                    ),
                ),
                (
                    "resume_state",
                    fields.CharEnumField(
                        null=True,
                        description="PENDING: pending\nPAID: paid\nREADY: ready\nPICKED_UP: picked_up\nCANCELLED: cancelled\nREFUNDING: refunding\nREFUNDED: refunded",
                        enum_type=OrderState,
                        max_length=16,
                    ),
                ),
                ("total_fen", fields.BigIntField()),
                ("paid_fen", fields.BigIntField(default=0)),
                ("refunded_fen", fields.BigIntField(default=0)),
                (
                    "pay_method",
                    fields.CharEnumField(
                        null=True, description="WALLET: wallet\nWECHAT: wechat", enum_type=PayMethod, max_length=16
                    ),
                ),
                ("out_trade_no", fields.CharField(null=True, unique=True, max_length=32)),
                ("pickup_code", fields.CharField(unique=True, max_length=16)),
                ("pickup_day", fields.DateField()),
                ("pickup_place", fields.CharField(max_length=100)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("expires_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("paid_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("cancelled_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("cancel_reason", fields.CharField(default="", max_length=200)),
                ("ready_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("reminded_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("picked_up_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("picked_up_by", fields.CharField(default="", max_length=100)),
                ("picked_up_place", fields.CharField(default="", max_length=100)),
            ],
            options={
                "table": "shop_order",
                "app": "houqin",
                "unique_together": (("person", "client_ref"),),
                "indexes": [
                    Index(fields=["state", "expires_at"]),
                    Index(fields=["cycle_id", "state"]),
                    Index(fields=["pickup_day", "state"]),
                    Index(fields=["person_id", "created_at"]),
                ],
                "pk_attr": "id",
                "table_description": "A cadre's order in a cycle. Prices are the server's at ordering time. `paid_fen` and",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Payment",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "order",
                    fields.OneToOneField(
                        "houqin.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="payment",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "method",
                    fields.CharEnumField(
                        description="WALLET: wallet\nWECHAT: wechat", enum_type=PayMethod, max_length=16
                    ),
                ),
                ("amount_fen", fields.BigIntField()),
                ("transfer_id", fields.BigIntField(null=True)),
                ("transaction_id", fields.CharField(null=True, unique=True, max_length=64)),
                ("paid_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "shop_payment",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "The one payment of an order (unique): from the wallet's cash with its ledger voucher, or",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Supplier",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(unique=True, max_length=100)),
                ("region", fields.CharField(max_length=100)),
                (
                    "origin_kind",
                    fields.CharEnumField(
                        description="LOCAL: local\nPARTNER: partner", enum_type=OriginKind, max_length=16
                    ),
                ),
                ("contact_name", fields.CharField(default="", max_length=50)),
                ("phone_encrypted", fields.TextField(default="", unique=False)),
                ("note", fields.CharField(default="", max_length=500)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "shop_supplier",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A farm, fisher or cooperative (供货方) the shop buys from and settles with. The contact's",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Product",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("name", fields.CharField(max_length=100)),
                (
                    "supplier",
                    fields.ForeignKeyField(
                        "houqin.Supplier",
                        source_field="supplier_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="products",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "category",
                    fields.CharEnumField(
                        description="FRUIT: fruit\nVEGETABLE: vegetable\nAQUATIC: aquatic\nMEAT: meat\nDRY: dry\nGRAIN_OIL: grain_oil\nOTHER: other",
                        enum_type=Category,
                        max_length=16,
                    ),
                ),
                ("origin", fields.CharField(max_length=100)),
                (
                    "origin_kind",
                    fields.CharEnumField(
                        description="LOCAL: local\nPARTNER: partner", enum_type=OriginKind, max_length=16
                    ),
                ),
                ("description", fields.TextField(default="", unique=False)),
                ("photo_key", fields.CharField(null=True, max_length=200)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "shop_product",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A product (商品) as cadres see it: its origin (产地), supplier, category, photo, story.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Settlement",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "supplier",
                    fields.ForeignKeyField(
                        "houqin.Supplier",
                        source_field="supplier_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="settlements",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("period_start", fields.DateField()),
                ("period_end", fields.DateField()),
                ("amount_fen", fields.BigIntField()),
                ("reference", fields.CharField(default="", max_length=100)),
                ("transfer_id", fields.BigIntField()),
                ("settled_by", fields.CharField(max_length=100)),
                ("settled_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("idempotency_key", fields.CharField(unique=True, max_length=64)),
            ],
            options={
                "table": "shop_settlement",
                "app": "houqin",
                "indexes": [Index(fields=["supplier_id", "period_start"])],
                "pk_attr": "id",
                "table_description": "Money paid out to a supplier for a period (供应商结算), booked from the shop's revenue.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Sku",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "product",
                    fields.ForeignKeyField(
                        "houqin.Product",
                        source_field="product_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="skus",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("spec", fields.CharField(max_length=50)),
                ("price_fen", fields.BigIntField()),
                ("stock", fields.IntField(default=0)),
                ("per_person_limit", fields.IntField(default=0)),
                ("on_shelf", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "shop_sku",
                "app": "houqin",
                "unique_together": (("product", "spec"),),
                "pk_attr": "id",
                "table_description": "One way a product is sold (规格: 500 g, 一箱 5 kg) with its price, stock and per-person",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CycleItem",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "cycle",
                    fields.ForeignKeyField(
                        "houqin.Cycle",
                        source_field="cycle_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="items",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "sku",
                    fields.ForeignKeyField(
                        "houqin.Sku",
                        source_field="sku_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="cycle_items",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("featured", fields.BooleanField(default=False)),
                ("position", fields.IntField(default=0)),
                ("presale_cutoff", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("pickup_day", fields.DateField(null=True)),
            ],
            options={
                "table": "shop_cycle_item",
                "app": "houqin",
                "unique_together": (("cycle", "sku"),),
                "pk_attr": "id",
                "table_description": "A SKU sold in a cycle, featured or not. A pre-sale batch (预售) of fresh goods has its own",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="OrderLine",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "order",
                    fields.ForeignKeyField(
                        "houqin.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="lines",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "sku",
                    fields.ForeignKeyField(
                        "houqin.Sku",
                        source_field="sku_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="order_lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "supplier",
                    fields.ForeignKeyField(
                        "houqin.Supplier",
                        source_field="supplier_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="order_lines",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("product_name", fields.CharField(max_length=100)),
                ("spec", fields.CharField(max_length=50)),
                ("unit_price_fen", fields.BigIntField()),
                ("quantity", fields.IntField()),
                ("amount_fen", fields.BigIntField()),
                ("refunded_quantity", fields.IntField(default=0)),
                ("refunded_fen", fields.BigIntField(default=0)),
            ],
            options={
                "table": "shop_order_line",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "One SKU of an order, with its name, spec, supplier and price as they were when ordered.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Refund",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("refund_no", fields.CharField(unique=True, max_length=32)),
                (
                    "order",
                    fields.ForeignKeyField(
                        "houqin.Order",
                        source_field="order_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="refunds",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "line",
                    fields.ForeignKeyField(
                        "houqin.OrderLine",
                        source_field="line_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="refunds",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("quantity", fields.IntField()),
                ("amount_fen", fields.BigIntField()),
                (
                    "method",
                    fields.CharEnumField(
                        description="WALLET: wallet\nWECHAT: wechat", enum_type=PayMethod, max_length=16
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        description="REQUESTED: requested\nPROCESSING: processing\nSUCCEEDED: succeeded\nREJECTED: rejected\nFAILED: failed",
                        enum_type=RefundState,
                        max_length=16,
                    ),
                ),
                ("reason", fields.CharField(max_length=200)),
                ("restock", fields.BooleanField(default=False)),
                ("requested_by", fields.CharField(max_length=100)),
                ("decided_by", fields.CharField(default="", max_length=100)),
                ("decision_note", fields.CharField(default="", max_length=200)),
                ("idempotency_key", fields.CharField(null=True, unique=True, max_length=64)),
                ("transfer_id", fields.BigIntField(null=True)),
                ("wechat_refund_id", fields.CharField(null=True, max_length=64)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("finished_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "shop_refund",
                "app": "houqin",
                "indexes": [Index(fields=["state", "created_at"])],
                "pk_attr": "id",
                "table_description": "A refund of part of one line (退款), with its own refund number: asked by the cadre",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="StockMove",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "sku",
                    fields.ForeignKeyField(
                        "houqin.Sku",
                        source_field="sku_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="moves",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("delta", fields.IntField()),
                (
                    "reason",
                    fields.CharEnumField(
                        description="STOCK_IN: stock_in\nADJUST: adjust\nORDER: order\nRELEASE: release\nRESTOCK: restock",
                        enum_type=StockReason,
                        max_length=16,
                    ),
                ),
                ("order_id", fields.BigIntField(null=True)),
                ("actor", fields.CharField(default="", max_length=100)),
                ("note", fields.CharField(default="", max_length=200)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "shop_stock_move",
                "app": "houqin",
                "indexes": [Index(fields=["sku_id", "at"]), Index(fields=["order_id"])],
                "pk_attr": "id",
                "table_description": "One change of a SKU's stock, written with it: the ledger its running count must equal.",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="Transfer",
            name="kind",
            field=fields.CharEnumField(
                description="TOPUP: topup\nCANTEEN_PAYMENT: canteen_payment\nCANTEEN_REFUND: canteen_refund\nSUBSIDY_GRANT: subsidy_grant\nSUBSIDY_EXPIRY: subsidy_expiry\nADJUSTMENT: adjustment\nOVERDRAFT_ADVANCE: overdraft_advance\nOVERDRAFT_REPAYMENT: overdraft_repayment\nCASH_REFUND: cash_refund\nSUBSIDY_FORFEIT: subsidy_forfeit\nSHOP_PAYMENT: shop_payment\nSHOP_REFUND: shop_refund\nSHOP_SETTLEMENT: shop_settlement",
                enum_type=TransferKind,
                max_length=32,
            ),
        ),
    ]
