from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("houqin", "0017_add_subsidy_grant_run")]

    initial = False

    operations = [
        ops.AddField(
            model_name="Card",
            name="idempotency_key",
            field=fields.CharField(null=True, unique=True, max_length=100),
        ),
    ]
