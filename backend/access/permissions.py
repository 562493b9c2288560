"""Permissions of gates and visitors: the guard post registers walk-ins and opens for cars no rule
let in; the security office manages gates, the blacklist and staff cars; unmasking a visitor's ID
number or phone is its own permission, and every use of it is audited."""

from __future__ import annotations

from backend.core.permissions import Permission


class AccessPermission(Permission):
    VIEW_ACCESS = "access.view_access", "查看访客、通行记录与在场人员"
    REGISTER_VISITOR = "access.register_visitor", "门岗登记访客、打印通行条、人工放行车辆"
    MANAGE_GATES = "access.manage_gates", "管理门禁点、闸机终端、道闸与车牌相机"
    MANAGE_BLACKLIST = "access.manage_blacklist", "管理访客与车辆黑名单"
    MANAGE_VEHICLES = "access.manage_vehicles", "审核职工车辆、设置单位月度入场额度"
    MANAGE_SCREENING = "access.manage_screening", "设置访客入场筛查"
    UNMASK_VISITOR = "access.unmask_visitor", "查看访客完整证件号、手机号与车牌（留痕）"
    VIEW_REPORT = "access.view_report", "查看访客与通行报表"
