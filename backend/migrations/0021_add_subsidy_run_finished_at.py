from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0020_add_admin_must_change_password")]

    initial = False

    operations = [
        ops.AddField(
            model_name="SubsidyGrantRun",
            name="finished_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
