import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0016_move_notices")]

    initial = False

    operations = [
        ops.CreateModel(
            name="SubsidyGrantRun",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("month", fields.CharField(db_index=True, max_length=7)),
                ("granted", fields.IntField(default=0)),
                ("granted_fen", fields.BigIntField(default=0)),
                ("already", fields.IntField(default=0)),
                ("closed", fields.IntField(default=0)),
                ("cleared", fields.IntField(default=0)),
                (
                    "failures",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("admin_id", fields.IntField(null=True)),
                ("admin_name", fields.CharField(default="", max_length=64)),
                ("idempotency_key", fields.CharField(null=True, unique=True, max_length=100)),
                ("ran_at", fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={
                "table": "wallet_subsidy_grant_run",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "One run of a month's subsidy grant (餐补发放), by the monthly job or by an admin, and what it",
            },
            bases=["Model"],
        ),
    ]
