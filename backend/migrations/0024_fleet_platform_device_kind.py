from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from backend.accounts.models import DeviceKind


class Migration(migrations.Migration):
    dependencies = [("houqin", "0023_add_fleet")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Device",
            name="kind",
            field=fields.CharEnumField(
                description="CANTEEN_TERMINAL: canteen_terminal\nKIOSK: kiosk\nGATE_CONTROLLER: gate_controller\nFLEET_PLATFORM: fleet_platform",
                enum_type=DeviceKind,
                max_length=32,
            ),
        ),
    ]
