from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0008_add_repairs")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Dish",
            name="photo_key",
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name="Dish",
            name="thumbnail_key",
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
