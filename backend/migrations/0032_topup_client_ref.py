from tortoise import fields, migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint


class Migration(migrations.Migration):
    dependencies = [("houqin", "0031_add_energy")]

    initial = False

    operations = [
        ops.AddField(
            model_name="TopUpOrder",
            name="client_ref",
            field=fields.CharField(null=True, max_length=64),
        ),
        ops.AddConstraint(
            model_name="TopUpOrder",
            constraint=UniqueConstraint(fields=("person", "client_ref"), name=None),
        ),
    ]
