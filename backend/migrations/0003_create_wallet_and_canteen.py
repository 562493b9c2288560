import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from backend.canteen.models import DinerCategory, PaymentStatus, PayMethod, TerminalMode
from backend.wallet.models import CardState, TransferKind


class Migration(migrations.Migration):
    dependencies = [("houqin", "0002_add_admin_session_epoch")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Canteen",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=100)),
                ("location", fields.CharField(default="", max_length=200)),
                ("max_payment_fen", fields.IntField(default=10000)),
                ("offline_max_payment_fen", fields.IntField(default=3000)),
                ("offline_max_count_per_card", fields.IntField(default=3)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "canteen_canteen",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A canteen (食堂).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Card",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("uid", fields.CharField(unique=True, max_length=32)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="cards",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "state",
                    fields.CharEnumField(
                        default=CardState.ACTIVE,
                        description="ACTIVE: active\nLOST: lost\nCANCELLED: cancelled",
                        enum_type=CardState,
                        max_length=16,
                    ),
                ),
                ("issued_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("state_changed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "wallet_card",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "An IC card bound to one person. A replacement card keeps the wallet.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Dish",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "canteen",
                    fields.ForeignKeyField(
                        "houqin.Canteen",
                        source_field="canteen_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="dishes",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("name", fields.CharField(max_length=50)),
                ("price_fen", fields.IntField()),
                (
                    "tags",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "canteen_dish",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A dish a canteen sells, priced by the server when a menu-mode terminal reports it.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="MealPeriod",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "canteen",
                    fields.ForeignKeyField(
                        "houqin.Canteen",
                        source_field="canteen_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="periods",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("code", fields.CharField(max_length=16)),
                ("name", fields.CharField(max_length=20)),
                ("starts_minute", fields.SmallIntField()),
                ("ends_minute", fields.SmallIntField()),
                ("max_swipes_per_card", fields.IntField(default=1)),
                ("booking_cutoff_hours", fields.IntField(default=2)),
            ],
            options={
                "table": "canteen_meal_period",
                "app": "houqin",
                "unique_together": (("canteen", "code"),),
                "pk_attr": "id",
                "table_description": "A meal period of a canteen (早餐/午餐/晚餐) with its time window in Asia/Shanghai, kept as",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="PriceRule",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "period",
                    fields.ForeignKeyField(
                        "houqin.MealPeriod",
                        source_field="period_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="prices",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "diner_category",
                    fields.CharEnumField(
                        description="STAFF: staff\nCONTRACTOR: contractor\nVISITOR: visitor",
                        enum_type=DinerCategory,
                        max_length=16,
                    ),
                ),
                ("price_fen", fields.IntField()),
                ("subsidy_cap_fen", fields.IntField(default=0)),
            ],
            options={
                "table": "canteen_price_rule",
                "app": "houqin",
                "unique_together": (("period", "diner_category"),),
                "pk_attr": "id",
                "table_description": "The price of a meal period for a diner category, and how much subsidy a meal may use.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Terminal",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "device",
                    fields.OneToOneField(
                        "houqin.Device",
                        source_field="device_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="terminal",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "canteen",
                    fields.ForeignKeyField(
                        "houqin.Canteen",
                        source_field="canteen_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="terminals",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "mode",
                    fields.CharEnumField(
                        description="FIXED_PRICE: fixed_price\nFREE_AMOUNT: free_amount\nMENU: menu",
                        enum_type=TerminalMode,
                        max_length=16,
                    ),
                ),
                ("name", fields.CharField(max_length=100)),
            ],
            options={
                "table": "canteen_terminal",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A payment terminal: a registered device placed in a canteen, with its payment mode.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Transfer",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="TOPUP: topup\nCANTEEN_PAYMENT: canteen_payment\nCANTEEN_REFUND: canteen_refund\nSUBSIDY_GRANT: subsidy_grant\nSUBSIDY_EXPIRY: subsidy_expiry\nADJUSTMENT: adjustment\nOVERDRAFT_ADVANCE: overdraft_advance\nOVERDRAFT_REPAYMENT: overdraft_repayment",
                        enum_type=TransferKind,
                        max_length=32,
                    ),
                ),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ("reference", fields.CharField(default="", db_index=True, max_length=64)),
                ("memo", fields.CharField(default="", max_length=200)),
                (
                    "reverses",
                    fields.ForeignKeyField(
                        "houqin.Transfer",
                        source_field="reverses_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reversals",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "wallet_transfer",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "One double-entry transfer (记账凭证), whose entries sum to zero.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="CanteenPayment",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "terminal",
                    fields.ForeignKeyField(
                        "houqin.Terminal",
                        source_field="terminal_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="payments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("terminal_txn_no", fields.CharField(max_length=64)),
                (
                    "canteen",
                    fields.ForeignKeyField(
                        "houqin.Canteen",
                        source_field="canteen_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="payments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="canteen_payments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("card_uid", fields.CharField(default="", max_length=32)),
                (
                    "method",
                    fields.CharEnumField(
                        description="CARD: card\nPAY_CODE: pay_code", enum_type=PayMethod, max_length=16
                    ),
                ),
                ("business_date", fields.DateField(db_index=True)),
                ("period_code", fields.CharField(default="", max_length=16)),
                ("amount_fen", fields.IntField(default=0)),
                ("subsidy_fen", fields.IntField(default=0)),
                ("cash_fen", fields.IntField(default=0)),
                (
                    "status",
                    fields.CharEnumField(
                        description="PAID: paid\nREFUSED: refused\nREFUNDED: refunded",
                        enum_type=PaymentStatus,
                        max_length=16,
                    ),
                ),
                ("refusal_code", fields.CharField(default="", max_length=64)),
                ("answer", fields.JSONField(encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads)),
                (
                    "transfer",
                    fields.ForeignKeyField(
                        "houqin.Transfer",
                        source_field="transfer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="canteen_payments",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("paid_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ("offline", fields.BooleanField(default=False)),
                ("lost_card_flag", fields.BooleanField(default=False)),
                ("overdraft_fen", fields.IntField(default=0)),
                ("refund_reason", fields.CharField(default="", max_length=200)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "canteen_payment",
                "app": "houqin",
                "unique_together": (("terminal", "terminal_txn_no"),),
                "indexes": [Index(fields=["person_id", "business_date", "period_code"])],
                "pk_attr": "id",
                "table_description": "A payment attempt at a terminal, paid or refused, kept as the answer to its retries.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="LedgerEntry",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "transfer",
                    fields.ForeignKeyField(
                        "houqin.Transfer",
                        source_field="transfer_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="entries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("account", fields.CharField(db_index=True, max_length=64)),
                ("amount", fields.BigIntField()),
            ],
            options={
                "table": "wallet_ledger_entry",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "One leg of a transfer: a signed amount in fen on a named account.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Wallet",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.OneToOneField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="wallet",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("cash_balance", fields.BigIntField(default=0)),
                ("subsidy_balance", fields.BigIntField(default=0)),
                ("overdraft_owed", fields.BigIntField(default=0)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "wallet_wallet",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A person's wallet (一卡通账户): cash (topped up, refundable) and subsidy (餐补, canteen only).",
            },
            bases=["Model"],
        ),
    ]
