"""Permissions of the console and how an admin's grants answer "may I, and over which units?".

Permissions are namespaced `<module>.<verb>_<object>`; the registry refuses a role that names
one nobody declared. Only the permissions in UNIT_SCOPED can be held over a unit subtree, and
only those in CANTEEN_SCOPED over one canteen; the others are platform-wide, and a scoped grant
does not give them (a unit administrator or a canteen manager must not manage admins, devices
or the audit log of the whole platform).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ALL = "*"

PERMISSIONS: dict[str, str] = {
    "accounts.view_unit": "查看单位",
    "accounts.manage_unit": "管理单位",
    "accounts.view_person": "查看人员",
    "accounts.import_person": "导入人员名册",
    "accounts.manage_admin": "管理管理员与角色",
    "accounts.view_device": "查看设备",
    "accounts.manage_device": "注册与管理设备",
    "core.view_audit": "查看审计日志",
    "canteen.manage_canteen": "管理食堂、餐次、价格、菜品与终端",
    "canteen.view_payment": "查看消费记录与报表",
    "canteen.refund_payment": "消费退款（因错退款）",
    "wallet.view_wallet": "查看一卡通账户",
    "wallet.manage_card": "发卡、补卡、注销卡",
    "wallet.adjust_wallet": "人工调账",
    "wallet.refund_cash": "现金退款与销户",
    "wallet.manage_subsidy": "设置与发放餐补",
    "repairs.view_report": "查看报修单与统计",
    "repairs.dispatch_report": "受理、派工、驳回报修单",
    "repairs.manage_settings": "管理报修类别、班组、时限与地点",
    "repairs.manage_parts": "管理维修备件库存",
}


UNIT_SCOPED = frozenset(
    {
        "accounts.view_unit",
        "accounts.manage_unit",
        "accounts.view_person",
        "accounts.import_person",
    }
)

CANTEEN_SCOPED = frozenset(
    {
        "canteen.manage_canteen",
        "canteen.view_payment",
        "canteen.refund_payment",
    }
)


def unknown_permissions(permissions: list[str]) -> list[str]:
    return [p for p in permissions if p != ALL and p not in PERMISSIONS]


@dataclass(frozen=True)
class Grant:
    permissions: frozenset[str]
    unit_path: str | None  # None: every unit
    canteen_id: int | None = None  # None: every canteen

    @property
    def platform_wide(self) -> bool:
        return self.unit_path is None and self.canteen_id is None

    def allows(self, permission: str) -> bool:
        if self.unit_path is not None and permission not in UNIT_SCOPED:
            return False
        if self.canteen_id is not None and permission not in CANTEEN_SCOPED:
            return False
        return ALL in self.permissions or permission in self.permissions


@dataclass(frozen=True)
class AdminPrincipal:
    """An authenticated console admin and what their grants let them do."""

    admin_id: int
    username: str
    display_name: str
    grants: tuple[Grant, ...] = field(default=())

    def can(self, permission: str) -> bool:
        return any(g.allows(permission) for g in self.grants)

    def unit_scope(self, permission: str) -> list[str] | None:
        """None when the permission reaches every unit, else the unit-path prefixes it reaches."""
        paths = []
        for grant in self.grants:
            if grant.allows(permission):
                if grant.unit_path is None:
                    return None
                paths.append(grant.unit_path)
        return paths

    def canteen_scope(self, permission: str) -> frozenset[int] | None:
        """None when the permission reaches every canteen, else the ids of the canteens it reaches."""
        ids = set()
        for grant in self.grants:
            if grant.allows(permission):
                if grant.canteen_id is None:
                    return None
                ids.add(grant.canteen_id)
        return frozenset(ids)

    def can_delegate(self, permissions: list[str]) -> bool:
        """Whether this admin may put `permissions` in a role or grant a role holding them:
        only what they hold themselves platform-wide (a scoped grant delegates nothing)."""
        platform_wide = [g for g in self.grants if g.platform_wide]
        return all(
            any(ALL in g.permissions for g in platform_wide) if p == ALL else any(g.allows(p) for g in platform_wide)
            for p in permissions
        )

    def permissions(self) -> list[str]:
        """What this admin can actually do (a scoped grant's platform-wide permissions excluded)."""
        return sorted(p for p in PERMISSIONS if self.can(p))
