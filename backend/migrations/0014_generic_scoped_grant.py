from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0013_add_canteen_scoped_grant")]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name="RoleGrant",
            options={
                "table": "accounts_role_grant",
                "app": "houqin",
                "unique_together": (("admin", "role", "unit"),),
                "pk_attr": "id",
                "table_description": "A role given to an admin, platform-wide, over the subtree of one unit, or over one object",
            },
        ),
        ops.AddField(
            model_name="RoleGrant",
            name="object_id",
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name="RoleGrant",
            name="object_module",
            field=fields.CharField(null=True, max_length=32),
        ),
        # Added by hand to the generated steps: a grant over a canteen keeps its canteen, now named
        # by module and id, before the foreign key goes.
        ops.RunSQL(
            "UPDATE accounts_role_grant SET object_module = 'canteen', object_id = canteen_id "
            "WHERE canteen_id IS NOT NULL",
            reverse_sql="UPDATE accounts_role_grant SET canteen_id = object_id WHERE object_module = 'canteen'",
        ),
        ops.RemoveField(model_name="RoleGrant", name="canteen"),
    ]
