"""EV charging (充电桩): an OCPP 1.6J central system, time-of-use billing to a cadre's wallet or to a
unit's official-car cost, remote start from the mini-program, the site's power limit, faults and
reports."""

from __future__ import annotations

from backend.charging.permissions import ChargingPermission as P
from backend.core.modules import (
    AuditedObject,
    DashboardCard,
    Module,
    NavItem,
    NavSection,
    NoticeTemplate,
    PersonLeaving,
)

MODULE = Module(
    name="charging",
    title="充电桩",
    models="backend.charging.models",
    permissions=P,
    settings="backend.charging.config:ChargingSettings",
    routes=("backend.charging.admin_api:bp", "backend.charging.protocols.ocpp16:bp"),
    pages=(
        "backend.charging.pages.board:bp",
        "backend.charging.pages.piles:bp",
        "backend.charging.pages.tags:bp",
        "backend.charging.pages.sessions:bp",
        "backend.charging.pages.tariffs:bp",
        "backend.charging.pages.commands:bp",
        "backend.charging.pages.health:bp",
        "backend.charging.pages.reports:bp",
    ),
    nav=(
        NavSection(
            "充电桩",
            55,
            (
                NavItem("充电桩看板", "/console/charging/board", P.VIEW_CHARGING),
                NavItem("站点与充电桩", "/console/charging/piles", P.VIEW_CHARGING),
                NavItem("公务车充电卡", "/console/charging/tags", P.VIEW_CHARGING),
                NavItem("充电记录", "/console/charging/sessions", P.VIEW_CHARGING),
                NavItem("电价", "/console/charging/tariffs", P.VIEW_CHARGING),
                NavItem("远程指令", "/console/charging/commands", P.VIEW_CHARGING),
                NavItem("故障与异常", "/console/charging/health", P.VIEW_CHARGING),
                NavItem("充电报表", "/console/charging/reports", P.VIEW_REPORT),
            ),
        ),
    ),
    audit_labels={
        "charging.create_site": "登记充电站点",
        "charging.update_site": "修改充电站点",
        "charging.create_pile": "登记充电桩",
        "charging.reset_pile_password": "重置充电桩连接密码",
        "charging.set_pile_active": "启用或停用充电桩",
        "charging.register_fleet_card": "登记公务车充电卡",
        "charging.block_tag": "停用充电卡",
        "charging.unblock_tag": "恢复充电卡",
        "charging.send_command": "向充电桩发送远程指令",
        "charging.create_tariff": "新建电价版本",
        "charging.resolve_incident": "处理充电异常",
        # ---- R2-C ----
        "charging.close_session": "结束并结算充电",
    },
    audit_fields={
        "address": "地址",
        "place_id": "地点编号",
        "lat": "纬度",
        "lng": "经度",
        "power_limit_kw": "功率上限（千瓦）",
        "site_id": "站点编号",
        "site_name": "站点",
        "box_id": "桩编号",
        "connectors": "充电枪数",
        "max_power_kw": "额定功率（千瓦）",
        "vendor": "厂家",
        "model": "型号",
        "serial": "序列号",
        "firmware": "固件版本",
        "booted_at": "最近启动",
        "last_seen_at": "最近通信",
        "id_tag": "卡号",
        "kind": "类别",
        "vehicle_id": "车辆编号",
        "plate": "车牌",
        "blocked": "已停用",
        "blocked_reason": "停用原因",
        "created_at": "登记时间",
        "action": "指令",
        "payload": "指令参数",
        "effective_from": "生效时间",
        "service_fee_fen_per_kwh": "服务费（分/千瓦时）",
        "seasons": "季节与时段",
        "months": "月份",
        "prices": "电价（分/千瓦时）",
        "periods": "时段",
        "from": "起",
        "to": "止",
        "band": "时段类别",
        "sharp": "尖峰",
        "peak": "峰",
        "flat": "平",
        "valley": "谷",
        "connector_id": "枪号",
        "transaction_id": "充电记录编号",
        "operative": "设为可用",
        "hard": "硬重启",
        "keys": "读取的配置项",
        "key": "配置项",
        "value": "取值",
        "message": "上报消息",
        "limit_w": "功率上限（瓦）",
        "resolved": "已处理",
        "note": "处理说明",
        # ---- R2-C ----
        "state": "状态",
        "reason": "原因",
        "meter_stop_wh": "结束读数（瓦时）",
    },
    audit_values={
        "kind": "backend.charging.models:TagKind",
        "action": "backend.charging.service.commands:Action",
        "band": "backend.charging.models:Band",
        # ---- R2-C ----
        "state": "backend.charging.models:SessionState",
    },
    audit_objects={
        "incident": AuditedObject("充电异常", describe="backend.charging.service.health:describe_incidents"),
        "site": AuditedObject("充电站点", name="backend.charging.models:Site.name"),
        "pile": AuditedObject("充电桩", name="backend.charging.models:Pile.box_id"),
        # R2-C: named by kind and masked number (was the whole Tag.id_tag).
        "tag": AuditedObject("充电卡", describe="backend.charging.service.records:describe_tags"),
        "tariff": AuditedObject("电价版本", name="backend.charging.models:Tariff.name"),
        # ---- R2-C ----
        "session": AuditedObject("充电记录"),
    },
    dashboard=(
        DashboardCard(
            "charging/dashboard_card.html", "backend.charging.pages.health:dashboard_card", P.VIEW_CHARGING, 40
        ),
    ),
    notice_templates={
        "charging.session": NoticeTemplate("notice_template_id", "backend.charging.service.notices:render_session"),
    },
    jobs="backend.charging.jobs",
    caches=("backend.charging.service.sessions:forget_seen",),
    reconcile=("backend.charging.service.reconcile:check",),
    worker_tasks=("backend.charging.service.bus:serve",),
    undocumented_prefixes=("/ocpp",),
    # ---- R2-C ----
    person_leaving=(
        PersonLeaving(
            "backend.charging.service.offboarding:preview",
            "backend.charging.service.offboarding:leave",
            P.VIEW_CHARGING,
        ),
    ),
    demo="backend.charging.demo:seed",
    presets={
        "充电桩运维": (P.VIEW_CHARGING, P.MANAGE_PILES, P.SEND_COMMANDS, P.VIEW_REPORT),
        "财务": (P.VIEW_CHARGING, P.VIEW_REPORT, P.MANAGE_TARIFF),
    },
)
