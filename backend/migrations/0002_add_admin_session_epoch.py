from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0001_create_accounts_and_audit")]

    initial = False

    operations = [
        ops.AddField(
            model_name="AdminUser",
            name="session_epoch",
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
