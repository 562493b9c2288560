"""Permissions of the repairs module (随手拍报修)."""

from __future__ import annotations

from backend.core.permissions import Permission


class RepairsPermission(Permission):
    VIEW_REPORT = "repairs.view_report", "查看报修单与统计"
    DISPATCH_REPORT = "repairs.dispatch_report", "受理、派工、驳回报修单"
    MANAGE_SETTINGS = "repairs.manage_settings", "管理报修类别、班组、时限与地点"
    MANAGE_PARTS = "repairs.manage_parts", "管理维修备件库存"
