from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from backend.accounts.models import StaffCategory


class Migration(migrations.Migration):
    dependencies = [("houqin", "0010_add_payment_disputed")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Person",
            name="staff_category",
            field=fields.CharEnumField(
                description="ESTABLISHED: established\nCONTRACT: contract\nOUTSOURCED: outsourced\nVISITOR: visitor",
                enum_type=StaffCategory,
                max_length=16,
            ),
        ),
    ]
