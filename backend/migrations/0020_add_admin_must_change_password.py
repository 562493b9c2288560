from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0019_add_unit_enabled_and_person_leaving")]

    initial = False

    operations = [
        ops.AddField(
            model_name="AdminUser",
            name="must_change_password",
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
