"""Tables of the accounts module: units, people, admins, roles and grants, devices."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class StaffCategory(LabelledEnum):
    """Staff category on the roster; the Chinese label is what the roster file carries."""

    ESTABLISHED = "established", "在编"
    CONTRACT = "contract", "聘用"
    OUTSOURCED = "outsourced", "外包"
    # A visiting or seconded person given a card, who eats at the visitor price.
    VISITOR = "visitor", "访客"

    @classmethod
    def from_label(cls, label: str) -> StaffCategory | None:
        for member in cls:
            if label in (member.label, member.value):
                return member
        return None


class DeviceKind(LabelledEnum):
    CANTEEN_TERMINAL = "canteen_terminal", "消费终端"
    KIOSK = "kiosk", "自助终端"
    GATE_CONTROLLER = "gate_controller", "门禁控制器"
    FLEET_PLATFORM = "fleet_platform", "车载终端平台"


class Unit(Model):
    """A unit (单位) in the tree city bureau → agency → department.

    `path` is the chain of codes from the root ("/CITY/FGW/BGS/"), so a subtree is a prefix
    match and a unit-scoped role is checked without recursion.
    """

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    parent = fields.ForeignKeyField("houqin.Unit", related_name="children", null=True, on_delete=fields.RESTRICT)
    path = fields.CharField(max_length=512, db_index=True)
    # A disabled unit (停用) keeps its people and history but takes no new people or rules.
    is_enabled = fields.BooleanField(default=True, db_default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts_unit"


class Person(Model):
    """A person on the staff roster (人员名册), a cadre once bound to a WeChat openid.

    `is_active` false is a person who has left (离职) at `left_at`, and `leave_key` is the
    idempotency key of the leave form that did it, so the same form sent again acts once."""

    id = fields.IntField(primary_key=True)
    employee_no = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=50)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="people", on_delete=fields.RESTRICT)
    staff_category = fields.CharEnumField(StaffCategory, max_length=16)
    phone_encrypted = fields.CharField(max_length=255, null=True)
    phone_index = fields.CharField(max_length=64, null=True, unique=True)
    id_card_encrypted = fields.CharField(max_length=255, null=True)
    id_card_index = fields.CharField(max_length=64, null=True, unique=True)
    wechat_openid = fields.CharField(max_length=64, null=True, unique=True)
    wechat_bound_at = fields.DatetimeField(null=True)
    is_active = fields.BooleanField(default=True)
    left_at = fields.DatetimeField(null=True)
    leave_key = fields.CharField(max_length=100, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "accounts_person"


class AdminUser(Model):
    """A console login (管理员)."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=50)
    password_hash = fields.CharField(max_length=255)
    is_active = fields.BooleanField(default=True)
    session_epoch = fields.IntField(default=0, db_default=0)
    # Set while the password is one someone else chose (a new admin's, or one reset by another
    # admin): until they choose their own, the console and the API let them do nothing else.
    must_change_password = fields.BooleanField(default=False, db_default=False)
    last_login_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts_admin_user"


class Role(Model):
    """A named set of permissions (`<module>.<verb>_<object>`)."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=50)
    permissions = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts_role"


class RoleGrant(Model):
    """A role given to an admin, platform-wide, over the subtree of one unit, or over one object
    of a module (a canteen: object_module "canteen" and the canteen's id).

    A grant names a unit or an object, never both (all null: platform-wide). The object is named
    by module and id, not by a foreign key, so that accounts depends on no other module.
    """

    id = fields.IntField(primary_key=True)
    admin = fields.ForeignKeyField("houqin.AdminUser", related_name="grants", on_delete=fields.CASCADE)
    role = fields.ForeignKeyField("houqin.Role", related_name="grants", on_delete=fields.RESTRICT)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="grants", null=True, on_delete=fields.RESTRICT)
    object_module = fields.CharField(max_length=32, null=True)
    object_id = fields.IntField(null=True)

    class Meta:
        table = "accounts_role_grant"
        unique_together = (("admin", "role", "unit"),)


class Device(Model):
    """A registered device (terminal, kiosk, gate controller) that signs its requests."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=100)
    kind = fields.CharEnumField(DeviceKind, max_length=32)
    location = fields.CharField(max_length=200, default="")
    secret_encrypted = fields.CharField(max_length=255)
    is_enabled = fields.BooleanField(default=True)
    last_seen_at = fields.DatetimeField(null=True)
    last_status = fields.JSONField(null=True)
    offline_since = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "accounts_device"
