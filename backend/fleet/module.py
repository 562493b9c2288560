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
    pages=("backend.fleet.pages.quotas:bp", "backend.fleet.pages.reports:bp"),
    nav=(
        NavSection(
            "公务用车",
            50,
            (
                NavItem("用车额度", "/console/fleet/quotas", P.VIEW_QUOTA),
                NavItem("用车报表", "/console/fleet/reports", P.VIEW_QUOTA),
            ),
        ),
    ),
    audit_labels={
        "fleet.allocate_quota": "核定用车额度",
        "fleet.transfer_quota": "调剂用车额度",
        "fleet.finish_rental": "租赁用车收车结算",
    },
    audit_fields={
        "unit": "单位",
        "year": "年度",
        "amount_fen": "金额",
        "balance_fen": "核定后剩余额度",
        "from_unit": "调出单位",
        "to_unit": "调入单位",
        "from_balance_fen": "调出单位剩余额度",
        "to_balance_fen": "调入单位剩余额度",
        "state": "状态",
        "km": "里程（公里）",
        "days": "租赁天数",
        "toll_fen": "路桥费",
        "parking_fen": "停车费",
        "cost_fen": "费用",
    },
    audit_values={"state": "backend.fleet.models:TripState"},
    audit_objects={
        "fleet_quota": AuditedObject("用车额度记录"),
        "fleet_quota_transfer": AuditedObject("用车额度调剂"),
        "fleet_trip": AuditedObject("用车行程"),
    },
    dashboard=(
        DashboardCard("fleet/dashboard_card.html", "backend.fleet.pages.reports:dashboard_card", P.VIEW_FLEET, 30),
    ),
)
