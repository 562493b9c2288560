"""Gates and visitors (门禁与访客): invitations and visitors' requests, the guard post's walk-ins and
entry screening, signed QR passes checked at the gate even offline, staff cards, vehicle plates,
who is inside each building, the blacklist and the purge of visitors' personal data."""

from __future__ import annotations

from backend.access.permissions import AccessPermission as P
from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection

MODULE = Module(
    name="access",
    title="门禁与访客",
    models="backend.access.models",
    permissions=P,
    settings="backend.access.config:AccessSettings",
    pages=(
        "backend.access.pages.guard:bp",
        "backend.access.pages.visits:bp",
        "backend.access.pages.inside:bp",
    ),
    nav=(
        NavSection(
            "门禁与访客",
            62,
            (
                NavItem("门岗登记", "/console/access/guard", P.VIEW_ACCESS),
                NavItem("来访记录", "/console/access/visits", P.VIEW_ACCESS),
                NavItem("在场人员", "/console/access/inside", P.VIEW_ACCESS),
            ),
        ),
    ),
    audit_labels={
        "access.register_walk_in": "门岗登记访客",
        "access.confirm_by_phone": "门岗电话确认来访",
        "access.print_slip": "打印访客通行条",
        "access.revoke_visit": "撤销来访",
        "access.unmask_visitor": "查看访客完整信息",
        "access.open_barrier": "人工开闸放行车辆",
        "access.dismiss_plate_alert": "车辆不放行",
    },
    audit_fields={
        "host_id": "被访人编号",
        "gate_id": "门禁点编号",
        "printed": "已打印",
        "printer_state": "打印机状态",
        "fields": "查看的信息",
        "state": "状态",
        "reason": "原因",
    },
    audit_objects={
        "visit": AuditedObject("来访", name="backend.access.models:Visit.code"),
        "plate_alert": AuditedObject("待处理车辆"),
    },
    dashboard=(
        DashboardCard("access/dashboard_card.html", "backend.access.pages.inside:dashboard_card", P.VIEW_ACCESS, 45),
    ),
)
