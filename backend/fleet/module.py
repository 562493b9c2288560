"""The official-cars module (公务用车): vehicles, drivers and rentals, requests and their approval,
dispatch, quotas, trips and tracks, compliance checks, sealing and upkeep."""

from __future__ import annotations

from backend.core.modules import AuditedObject, Module, NavItem, NavSection
from backend.fleet.permissions import FleetPermission as P

MODULE = Module(
    name="fleet",
    title="公务用车",
    models="backend.fleet.models",
    permissions=P,
    settings="backend.fleet.config:FleetSettings",
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
    pages=("backend.fleet.pages.dispatch:bp",),
    nav=(
        NavSection(
            "公务用车",
            50,
            (
                NavItem("用车申请", "/console/fleet/requests", P.VIEW_FLEET),
                NavItem("调度看板", "/console/fleet/board", P.VIEW_FLEET),
            ),
        ),
    ),
    audit_labels={
        "fleet.dispatch_trip": "派车",
        "fleet.cancel_dispatch": "取消派车",
        "fleet.reassign_trip": "改派车辆与驾驶员",
    },
    audit_fields={
        "request_id": "用车申请编号",
        "state": "状态",
        "plate": "车牌号",
        "driver": "驾驶员",
        "rental_company": "租赁公司",
        "rental_vehicle_type": "租赁车型",
        "planned_start": "计划出车时间",
        "planned_end": "计划收车时间",
        "blocked_until": "占用至（含间隔）",
        "replaced_trip_id": "原行程编号",
    },
    audit_values={"rental_vehicle_type": "backend.fleet.models:VehicleType"},
    audit_objects={"trip": AuditedObject("行程", describe="backend.fleet.service.dispatch:describe_trips")},
)
