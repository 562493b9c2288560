from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0025_add_shop")]

    initial = False

    operations = [
        ops.AddField(
            model_name="StockMove",
            name="idempotency_key",
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
    ]
