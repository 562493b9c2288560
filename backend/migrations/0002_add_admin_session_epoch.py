from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('houqin', '0001_create_accounts_and_audit')]

    initial = False

    operations = [
        ops.AddField(
            model_name='AdminUser',
            name='session_epoch',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
