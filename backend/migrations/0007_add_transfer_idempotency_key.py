from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0006_add_bookings_menus_ratings")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Transfer",
            name="idempotency_key",
            field=fields.CharField(null=True, unique=True, max_length=100),
        ),
    ]
