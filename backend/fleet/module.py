"""The official-cars module (公务用车): vehicles, drivers and rentals, requests and their approval,
dispatch, quotas, trips and tracks, compliance checks, sealing and upkeep."""

from __future__ import annotations

from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection
from backend.fleet.permissions import FleetPermission as P

MODULE = Module(
    name="fleet",
    title="公务用车",
    models="backend.fleet.models",
    permissions=P,
    settings="backend.fleet.config:FleetSettings",
    routes=("backend.fleet.device_api:bp",),
    pages=("backend.fleet.pages.trip:bp", "backend.fleet.pages.compliance:bp"),
    nav=(
        NavSection(
            "公务用车",
            50,
            (
                NavItem("用车督查", "/console/fleet/flags", P.VIEW_FLEET),
                NavItem("车辆封存", "/console/fleet/sealing", P.VIEW_FLEET),
                NavItem("电子围栏", "/console/fleet/geofence", P.VIEW_FLEET),
            ),
        ),
    ),
    audit_labels={
        "fleet.import_track": "导入行程轨迹",
        "fleet.close_flag": "说明并关闭督查问题",
        "fleet.seal_from_calendar": "按法定节假日生成封存期",
        "fleet.add_seal_period": "手工设定封存期",
        "fleet.save_geofence": "保存电子围栏",
    },
    audit_fields={
        "points": "文件中的轨迹点数",
        "added": "新增定位点数",
        "ignored": "已有而未重复记录的点数",
        "datum": "坐标系",
        "explanation": "情况说明",
        "starts_at": "开始时间",
        "ends_at": "结束时间",
        "source": "来源",
        "vertices": "顶点数",
        "dwell_minutes": "停留时间（分钟）",
        "state": "状态",
    },
    audit_values={"datum": "backend.fleet.models:Datum"},
    audit_objects={
        "trip": AuditedObject("行程"),
        "compliance_flag": AuditedObject("督查问题"),
        "seal_period": AuditedObject("封存期", name="backend.fleet.models:SealPeriod.name"),
        "geofence": AuditedObject("电子围栏", name="backend.fleet.models:Geofence.name"),
    },
    jobs="backend.fleet.jobs",
    dashboard=(
        DashboardCard("fleet/dashboard_card.html", "backend.fleet.pages.compliance:dashboard_card", P.VIEW_FLEET, 30),
    ),
    presets={
        "车辆调度": (P.VIEW_FLEET, P.DISPATCH_TRIP, P.VIEW_QUOTA),
        "车管中心": (
            P.VIEW_FLEET,
            P.MANAGE_FLEET,
            P.DISPATCH_TRIP,
            P.VIEW_QUOTA,
            P.MANAGE_QUOTA,
            P.REVIEW_FLAG,
            P.MANAGE_SEALING,
            P.MANAGE_UPKEEP,
        ),
        "财务": (P.VIEW_QUOTA,),
    },
)
