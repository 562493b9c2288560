"""Gates and visitors (门禁与访客): invitations and visitors' requests, the guard post's walk-ins and
entry screening, signed QR passes checked at the gate even offline, staff cards, vehicle plates,
who is inside each building, the blacklist and the purge of visitors' personal data."""

from __future__ import annotations

from backend.access.permissions import AccessPermission as P
from backend.core.modules import AuditedObject, Module, NavItem, NavSection

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
    pages=(
        "backend.access.pages.gates:bp",
        "backend.access.pages.log:bp",
        "backend.access.pages.blacklist:bp",
        "backend.access.pages.vehicles:bp",
        "backend.access.pages.reports:bp",
        "backend.access.pages.screening:bp",
    ),
    nav=(
        NavSection(
            "门禁与访客",
            57,
            (
                NavItem("门禁点", "/console/access/gates", P.VIEW_ACCESS),
                NavItem("通行记录", "/console/access/log", P.VIEW_ACCESS),
                NavItem("黑名单", "/console/access/blacklist", P.VIEW_ACCESS),
                NavItem("职工车辆", "/console/access/vehicles", P.VIEW_ACCESS),
                NavItem("入场筛查", "/console/access/screening", P.MANAGE_SCREENING),
                NavItem("访客与通行报表", "/console/access/reports", P.VIEW_REPORT),
            ),
        ),
    ),
    audit_labels={
        "access.create_gate": "新建门禁点",
        "access.update_gate": "修改、启用或停用门禁点",
        "access.rotate_camera_secret": "重新生成车牌相机密钥",
        "access.block": "加入黑名单",
        "access.lift_block": "移出黑名单",
        "access.decide_vehicle": "审核职工车辆",
        "access.revoke_vehicle": "撤销职工车辆",
        "access.set_quota": "设置单位月度车辆入场额度",
        "access.open_barrier": "人工开闸放行车辆",
        "access.dismiss_plate_alert": "不放行未登记车辆",
        "access.set_screening": "设置入场筛查",
    },
    audit_fields={
        "code": "编号",
        "name": "名称",
        "kind": "类型",
        "kind_label": "类型",
        "direction": "方向",
        "direction_label": "方向",
        "building_id": "楼宇编号",
        "building": "楼宇",
        "device_id": "闸机终端设备编号",
        "device_code": "闸机终端",
        "device_state": "终端状态",
        "device_state_label": "终端状态",
        "relay_uri": "道闸继电器地址",
        "relay_state": "继电器状态",
        "relay_message": "继电器消息",
        "relay_checked_at": "继电器检测时间",
        "camera_addresses": "车牌相机地址",
        "camera_secret_set": "已设置相机密钥",
        "printer_uri": "小票打印机",
        "anti_passback": "防回传",
        "is_active": "启用",
        "plate": "车牌号",
        "plate_masked": "车牌号",
        "from_minute": "允许入场开始（分钟）",
        "to_minute": "允许入场结束（分钟）",
        "note": "备注",
        "monthly_entries": "月度入场额度",
    },
    audit_values={
        "kind": "backend.access.models:GateKind",
        "direction": "backend.access.models:Direction",
    },
    audit_objects={
        "gate": AuditedObject("门禁点", name="backend.access.models:Gate.name"),
        "staff_vehicle": AuditedObject("职工车辆", name="backend.access.models:StaffVehicle.plate"),
        "plate_alert": AuditedObject("车辆提醒", name="backend.access.models:PlateAlert.plate_masked"),
    },
)
