"""Permissions of the official-cars module. Quotas and the reports on them can be seen over a
unit subtree (a unit's office sees its own); running the fleet is the fleet centre's, platform-wide."""

from __future__ import annotations

from backend.core.permissions import Permission, Reach


class FleetPermission(Permission):
    VIEW_FLEET = "fleet.view_fleet", "查看车辆、驾驶员、用车申请与行程"
    MANAGE_FLEET = "fleet.manage_fleet", "管理车辆、驾驶员、租赁公司与费率"
    DISPATCH_TRIP = "fleet.dispatch_trip", "派车、改派与取消派车"
    VIEW_QUOTA = "fleet.view_quota", "查看用车额度与费用", Reach.UNIT
    MANAGE_QUOTA = "fleet.manage_quota", "核定与调剂用车额度"
    REVIEW_FLAG = "fleet.review_flag", "处理用车督查问题"
    MANAGE_SEALING = "fleet.manage_sealing", "设定封存期与电子围栏"
    MANAGE_UPKEEP = "fleet.manage_upkeep", "登记维修保养与定点单位"
