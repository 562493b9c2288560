"""EV charging (充电桩): an OCPP 1.6J central system, time-of-use billing to a cadre's wallet or to a
unit's official-car cost, remote start from the mini-program, the site's power limit, faults and
reports."""

from __future__ import annotations

from backend.charging.permissions import ChargingPermission as P
from backend.core.modules import Module, NavSection, NoticeTemplate

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
    audit_labels={},
    audit_fields={},
    audit_values={},
    audit_objects={},
    dashboard=(),
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
