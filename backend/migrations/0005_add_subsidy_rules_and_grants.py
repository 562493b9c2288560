from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0004_add_wallet_topup_order")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SubsidyExpiry",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "wallet",
                    fields.ForeignKeyField(
                        "houqin.Wallet",
                        source_field="wallet_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subsidy_expiries",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("month", fields.CharField(max_length=7)),
                ("amount_fen", fields.IntField()),
                ("transfer_id", fields.BigIntField(null=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "wallet_subsidy_expiry",
                "app": "houqin",
                "unique_together": (("wallet", "month"),),
                "pk_attr": "id",
                "table_description": "The subsidy cleared from one wallet at the end of one month: at most once.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SubsidyRule",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subsidy_rules",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("staff_category", fields.CharField(max_length=16)),
                ("amount_fen", fields.IntField()),
                ("expires_monthly", fields.BooleanField(default=True)),
                ("is_active", fields.BooleanField(default=True)),
            ],
            options={
                "table": "wallet_subsidy_rule",
                "app": "houqin",
                "unique_together": (("unit", "staff_category"),),
                "pk_attr": "id",
                "table_description": "Monthly meal subsidy (餐补) for a staff category of a unit and the units below it, unless",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="SubsidyGrant",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "person",
                    fields.ForeignKeyField(
                        "houqin.Person",
                        source_field="person_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="subsidy_grants",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("month", fields.CharField(max_length=7)),
                (
                    "rule",
                    fields.ForeignKeyField(
                        "houqin.SubsidyRule",
                        source_field="rule_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="grants",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("amount_fen", fields.IntField()),
                ("transfer_id", fields.BigIntField()),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "wallet_subsidy_grant",
                "app": "houqin",
                "unique_together": (("person", "month"),),
                "pk_attr": "id",
                "table_description": "One month's subsidy credited to one person: at most one per person and month.",
            },
            bases=["Model"],
        ),
    ]
