"""Permissions of the console and how an admin's grants answer "may I, and over which units?".

Permissions are namespaced `<module>.<verb>_<object>`; each module declares its own here-style
table and the registry refuses a role that names one nobody declared.
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
}


def unknown_permissions(permissions: list[str]) -> list[str]:
    return [p for p in permissions if p != ALL and p not in PERMISSIONS]


@dataclass(frozen=True)
class Grant:
    permissions: frozenset[str]
    unit_path: str | None  # None: every unit

    def allows(self, permission: str) -> bool:
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

    def covers(self, permission: str, unit_path: str) -> bool:
        scope = self.unit_scope(permission)
        return scope is None or any(unit_path.startswith(prefix) for prefix in scope)

    def permissions(self) -> list[str]:
        if any(ALL in g.permissions for g in self.grants):
            return sorted(PERMISSIONS)
        return sorted({p for g in self.grants for p in g.permissions})
