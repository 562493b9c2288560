from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from backend.wallet.models import TopUpStatus


class Migration(migrations.Migration):
    dependencies = [("houqin", "0003_create_wallet_and_canteen")]

    initial = False

    operations = [
        ops.CreateModel(
            name="TopUpOrder",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("out_trade_no", fields.CharField(unique=True, max_length=32)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="topups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount_fen", fields.IntField()),
                (
                    "status",
                    fields.CharEnumField(
                        default=TopUpStatus.PENDING,
                        description="PENDING: pending\nPAID: paid\nCLOSED: closed\nAMOUNT_MISMATCH: amount_mismatch",
                        enum_type=TopUpStatus,
                        max_length=16,
                    ),
                ),
                ("transaction_id", fields.CharField(null=True, max_length=64)),
                (
                    "transfer",
                    fields.ForeignKeyField(
                        "houqin.Transfer",
                        source_field="transfer_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="topups",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("created_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ("paid_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "wallet_topup_order",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A WeChat Pay top-up of a wallet (充值订单). Credited once, only from a verified answer.",
            },
            bases=["Model"],
        ),
    ]
