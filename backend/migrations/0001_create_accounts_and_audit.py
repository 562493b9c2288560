import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from backend.accounts.models import DeviceKind, StaffCategory


class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name="AdminUser",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("username", fields.CharField(unique=True, max_length=64)),
                ("display_name", fields.CharField(max_length=50)),
                ("password_hash", fields.CharField(max_length=255)),
                ("is_active", fields.BooleanField(default=True)),
                ("last_login_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "accounts_admin_user",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A console login (管理员).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("at", fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ("actor_id", fields.IntField(null=True)),
                ("actor_name", fields.CharField(max_length=64)),
                ("action", fields.CharField(db_index=True, max_length=64)),
                ("object_type", fields.CharField(max_length=64)),
                ("object_id", fields.CharField(max_length=64)),
                (
                    "before",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                (
                    "after",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                ("request_id", fields.CharField(default="", max_length=64)),
                ("ip", fields.CharField(default="", max_length=64)),
            ],
            options={
                "table": "core_audit_entry",
                "app": "houqin",
                "indexes": [Index(fields=["object_type", "object_id"])],
                "pk_attr": "id",
                "table_description": "One admin write: who, what, when, and the object before and after (审计日志).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Device",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=100)),
                (
                    "kind",
                    fields.CharEnumField(
                        description="CANTEEN_TERMINAL: canteen_terminal\nKIOSK: kiosk\nGATE_CONTROLLER: gate_controller",
                        enum_type=DeviceKind,
                        max_length=32,
                    ),
                ),
                ("location", fields.CharField(default="", max_length=200)),
                ("secret_encrypted", fields.CharField(max_length=255)),
                ("is_enabled", fields.BooleanField(default=True)),
                ("last_seen_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "last_status",
                    fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads),
                ),
                ("offline_since", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "accounts_device",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A registered device (terminal, kiosk, gate controller) that signs its requests.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Role",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=64)),
                ("name", fields.CharField(max_length=50)),
                (
                    "permissions",
                    fields.JSONField(
                        default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "accounts_role",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A named set of permissions (`<module>.<verb>_<object>`).",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Unit",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("code", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=100)),
                (
                    "parent",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="parent_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="children",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("path", fields.CharField(db_index=True, max_length=512)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "accounts_unit",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A unit (单位) in the tree city bureau → agency → department.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Person",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("employee_no", fields.CharField(unique=True, max_length=32)),
                ("name", fields.CharField(max_length=50)),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="people",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "staff_category",
                    fields.CharEnumField(
                        description="ESTABLISHED: established\nCONTRACT: contract\nOUTSOURCED: outsourced",
                        enum_type=StaffCategory,
                        max_length=16,
                    ),
                ),
                ("phone_encrypted", fields.CharField(null=True, max_length=255)),
                ("phone_index", fields.CharField(null=True, unique=True, max_length=64)),
                ("id_card_encrypted", fields.CharField(null=True, max_length=255)),
                ("id_card_index", fields.CharField(null=True, unique=True, max_length=64)),
                ("wechat_openid", fields.CharField(null=True, unique=True, max_length=64)),
                ("wechat_bound_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("is_active", fields.BooleanField(default=True)),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={
                "table": "accounts_person",
                "app": "houqin",
                "pk_attr": "id",
                "table_description": "A person on the staff roster (人员名册), a cadre once bound to a WeChat openid.",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="RoleGrant",
            fields=[
                ("id", fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "admin",
                    fields.ForeignKeyField(
                        "houqin.AdminUser",
                        source_field="admin_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="grants",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "role",
                    fields.ForeignKeyField(
                        "houqin.Role",
                        source_field="role_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="grants",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                (
                    "unit",
                    fields.ForeignKeyField(
                        "houqin.Unit",
                        source_field="unit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="grants",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
            ],
            options={
                "table": "accounts_role_grant",
                "app": "houqin",
                "unique_together": (("admin", "role", "unit"),),
                "pk_attr": "id",
                "table_description": "A role given to an admin, over all units (unit null) or over the subtree of one unit.",
            },
            bases=["Model"],
        ),
    ]
