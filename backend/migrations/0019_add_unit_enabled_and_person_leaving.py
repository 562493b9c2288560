from tortoise import fields, migrations

from backend.migrations._dialect import AddColumn


class Migration(migrations.Migration):
    dependencies = [("houqin", "0018_add_card_idempotency_key")]

    initial = False

    operations = [
        AddColumn(
            model_name="Person",
            name="leave_key",
            field=fields.CharField(null=True, unique=True, max_length=100),
        ),
        AddColumn(
            model_name="Person",
            name="left_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        AddColumn(
            model_name="Unit",
            name="is_enabled",
            field=fields.BooleanField(default=True, db_default=True),
        ),
    ]
