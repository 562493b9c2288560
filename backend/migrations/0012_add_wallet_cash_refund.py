from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from backend.wallet.models import RefundMethod, TransferKind


class Migration(migrations.Migration):
    dependencies = [("houqin", "0011_visitor_category")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CashRefund",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "wallet",
                    fields.ForeignKeyField(
                        "houqin.Wallet",
                        source_field="wallet_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="cash_refunds",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount_fen", fields.BigIntField()),
                ("subsidy_forfeited_fen", fields.BigIntField(default=0)),
                ("closes_wallet", fields.BooleanField(default=False)),
                (
                    "method",
                    fields.CharEnumField(
                        description="CASH: cash\nBANK_TRANSFER: bank_transfer", enum_type=RefundMethod, max_length=16
                    ),
                ),
                ("payout_reference", fields.CharField(default="", max_length=64)),
                ("reason", fields.CharField(max_length=200)),
                ("admin_id", fields.IntField(null=True)),
                ("admin_name", fields.CharField(default="", max_length=64)),
                ("idempotency_key", fields.CharField(unique=True, max_length=100)),
                ("transfer_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "wallet_cash_refund",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "Cash paid back to a person at the finance desk (现金退款), or on closing the wallet (销户),",
            },
            bases=["Model"],
        ),
        ops.AlterField(
            model_name="Transfer",
            name="kind",
            field=fields.CharEnumField(
                description="TOPUP: topup\nCANTEEN_PAYMENT: canteen_payment\nCANTEEN_REFUND: canteen_refund\nSUBSIDY_GRANT: subsidy_grant\nSUBSIDY_EXPIRY: subsidy_expiry\nADJUSTMENT: adjustment\nOVERDRAFT_ADVANCE: overdraft_advance\nOVERDRAFT_REPAYMENT: overdraft_repayment\nCASH_REFUND: cash_refund\nSUBSIDY_FORFEIT: subsidy_forfeit",
                enum_type=TransferKind,
                max_length=32,
            ),
        ),
        ops.AddField(
            model_name="Wallet",
            name="closed_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
