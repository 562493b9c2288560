"""EV charging (充电桩): an OCPP 1.6J central system, time-of-use billing to a cadre's wallet or to a
unit's official-car cost, remote start from the mini-program, the site's power limit, faults and
reports."""

from __future__ import annotations

from backend.charging.permissions import ChargingPermission as P
from backend.core.modules import AuditedObject, Module, NavSection, NoticeTemplate

MODULE = Module(
    name="charging",
    title="充电桩",
    models="backend.charging.models",
    permissions=P,
    settings="backend.charging.config:ChargingSettings",
    routes=("backend.charging.admin_api:bp", "backend.charging.protocols.ocpp16:bp"),
    pages=(),
    nav=(
        NavSection(
            "充电桩",
            55,
            (),
        ),
    ),
    audit_labels={
        # ---- H2 ----
        "charging.create_tariff": "新建充电电价版本",
    },
    audit_fields={
        # ---- H2 ----
        "effective_from": "生效时间",
        "service_fee_fen_per_kwh": "服务费（分/千瓦时）",
        "seasons": "季节与分时时段",
    },
    audit_values={},
    audit_objects={
        # ---- H2 ----
        "tariff": AuditedObject("充电电价", name="backend.charging.models:Tariff.name"),
    },
    dashboard=(),
    notice_templates={
        "charging.session": NoticeTemplate("notice_template_id", "backend.charging.service.notices:render_session"),
    },
    jobs="backend.charging.jobs",
    reconcile=("backend.charging.service.reconcile:check",),
    worker_tasks=("backend.charging.service.bus:serve",),
    # ---- H2 ----
    caches=("backend.charging.service.sessions:forget_seen",),
    undocumented_prefixes=("/ocpp",),
    demo="backend.charging.demo:seed",
    presets={
        "充电桩运维": (P.VIEW_CHARGING, P.MANAGE_PILES, P.SEND_COMMANDS, P.VIEW_REPORT),
        "财务": (P.VIEW_CHARGING, P.VIEW_REPORT, P.MANAGE_TARIFF),
    },
)
