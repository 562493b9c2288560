from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0009_add_dish_photo")]

    initial = False

    operations = [
        ops.AddField(
            model_name="CanteenPayment",
            name="disputed",
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
