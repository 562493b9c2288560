"""Gates and visitors (门禁与访客): invitations and visitors' requests, the guard post's walk-ins and
entry screening, signed QR passes checked at the gate even offline, staff cards, vehicle plates,
who is inside each building, the blacklist and the purge of visitors' personal data."""

from __future__ import annotations

from backend.access.permissions import AccessPermission as P
from backend.core.modules import AuditedObject, Module

MODULE = Module(
    name="access",
    title="门禁与访客",
    models="backend.access.models",
    permissions=P,
    settings="backend.access.config:AccessSettings",
    routes=(
        "backend.access.device_api:bp",
        "backend.access.protocols.plate_json:bp",
        "backend.access.protocols.isapi:bp",
    ),
    undocumented_prefixes=("/camera",),
    caches=("backend.access.service.barrier:forget_relays",),
    audit_labels={
        "access.open_barrier": "人工开闸放行车辆",
        "access.dismiss_plate_alert": "不放行未登记车辆",
        "access.decide_vehicle": "审核职工车辆",
        "access.revoke_vehicle": "撤销职工车辆",
        "access.set_quota": "设置单位车辆月度入场额度",
    },
    audit_fields={
        "plate": "车牌号",
        "plate_masked": "车牌号",
        "from_minute": "允许入场开始（分钟）",
        "to_minute": "允许入场结束（分钟）",
        "note": "备注",
        "monthly_entries": "月度入场额度",
    },
    audit_objects={
        "staff_vehicle": AuditedObject("职工车辆", name="backend.access.models:StaffVehicle.plate"),
        "plate_alert": AuditedObject("车辆提醒", name="backend.access.models:PlateAlert.plate_masked"),
    },
)
