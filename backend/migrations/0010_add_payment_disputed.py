from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('houqin', '0009_add_dish_photo')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CanteenPayment',
            name='disputed',
            field=fields.BooleanField(default=False, db_default=False),
        ),
    ]
