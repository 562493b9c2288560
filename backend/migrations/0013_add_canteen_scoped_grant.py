from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0012_add_wallet_cash_refund")]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name="RoleGrant",
            options={
                "table": "accounts_role_grant",
                "app": "houqin",
                "unique_together": (("admin", "role", "unit"),),
                "pk_attr": "id",
                "table_description": "A role given to an admin, platform-wide, over the subtree of one unit, or over one canteen.",
            },
        ),
        ops.AddField(
            model_name="RoleGrant",
            name="canteen",
            field=fields.ForeignKeyField(
                "houqin.Canteen",
                source_field="canteen_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="grants",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
    ]
