from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('houqin', '0006_add_bookings_menus_ratings')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Transfer',
            name='idempotency_key',
            field=fields.CharField(null=True, unique=True, max_length=100),
        ),
    ]
