"""EV charging (充电桩): an OCPP 1.6J central system, time-of-use billing to a cadre's wallet or to a
unit's official-car cost, remote start from the mini-program, the site's power limit, faults and
reports."""

from __future__ import annotations

from backend.charging.permissions import ChargingPermission as P
from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection, NoticeTemplate

MODULE = Module(
    name="charging",
    title="充电桩",
    models="backend.charging.models",
    permissions=P,
    settings="backend.charging.config:ChargingSettings",
    routes=("backend.charging.admin_api:bp", "backend.charging.protocols.ocpp16:bp"),
    pages=(
        # ---- H5 ----
        "backend.charging.pages.health:bp",
        "backend.charging.pages.reports:bp",
    ),
    nav=(
        NavSection(
            "充电桩",
            55,
            (
                # ---- H5 ----
                NavItem("故障与异常", "/console/charging/health", P.VIEW_CHARGING),
                NavItem("充电报表", "/console/charging/reports", P.VIEW_REPORT),
            ),
        ),
    ),
    audit_labels={
        # ---- H5 ----
        "charging.resolve_incident": "处理充电异常",
    },
    audit_fields={
        # ---- H5 ----
        "kind": "异常类型",
        "resolved": "已处理",
        "note": "处理说明",
    },
    audit_values={
        # ---- H5 ----
        "kind": "backend.charging.models:IncidentKind",
    },
    audit_objects={
        # ---- H5 ----
        "incident": AuditedObject("充电异常", describe="backend.charging.service.health:describe_incidents"),
    },
    dashboard=(
        # ---- H5 ----
        DashboardCard(
            "charging/dashboard_card.html", "backend.charging.pages.health:dashboard_card", P.VIEW_CHARGING, 40
        ),
    ),
    notice_templates={
        "charging.session": NoticeTemplate("notice_template_id", "backend.charging.service.notices:render_session"),
    },
    jobs="backend.charging.jobs",
    reconcile=("backend.charging.service.reconcile:check",),
    worker_tasks=("backend.charging.service.bus:serve",),
    undocumented_prefixes=("/ocpp",),
    demo="backend.charging.demo:seed",
    presets={
        "充电桩运维": (P.VIEW_CHARGING, P.MANAGE_PILES, P.SEND_COMMANDS, P.VIEW_REPORT),
        "财务": (P.VIEW_CHARGING, P.VIEW_REPORT, P.MANAGE_TARIFF),
    },
)
