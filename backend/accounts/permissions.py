"""Permissions of the accounts module (units, people, admins and roles, devices)."""

from __future__ import annotations

from backend.core.permissions import Permission, Reach


class AccountsPermission(Permission):
    VIEW_UNIT = "accounts.view_unit", "查看单位", Reach.UNIT
    MANAGE_UNIT = "accounts.manage_unit", "管理单位", Reach.UNIT
    VIEW_PERSON = "accounts.view_person", "查看人员", Reach.UNIT
    IMPORT_PERSON = "accounts.import_person", "导入人员名册", Reach.UNIT
    MANAGE_PERSON = "accounts.manage_person", "新增、编辑、调动人员与办理离职", Reach.UNIT
    MANAGE_ADMIN = "accounts.manage_admin", "管理管理员与角色"
    VIEW_DEVICE = "accounts.view_device", "查看设备"
    MANAGE_DEVICE = "accounts.manage_device", "注册与管理设备"
