"""Energy (能耗): meters, readings, budgets by headcount with alerts and cut-off, indicators."""

from __future__ import annotations

from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection
from backend.energy.permissions import EnergyPermission as P

MODULE = Module(
    name="energy",
    title="能耗",
    models="backend.energy.models",
    permissions=P,
    settings="backend.energy.config:EnergySettings",
    pages=(
        "backend.energy.pages.meters:bp",
        "backend.energy.pages.budgets:bp",
        "backend.energy.pages.alerts:bp",
        "backend.energy.pages.indicators:bp",
        "backend.energy.pages.plan:bp",
        "backend.energy.pages.contacts:bp",
    ),
    nav=(
        NavSection(
            "能耗",
            58,
            (
                NavItem("用能预算", "/console/energy/budgets", P.VIEW_ENERGY),
                NavItem("电表", "/console/energy/meters", P.VIEW_ENERGY),
                NavItem("能耗告警", "/console/energy/alerts", P.VIEW_ENERGY),
                NavItem("断供与恢复", "/console/energy/switching", P.VIEW_ENERGY),
                NavItem("指标与趋势", "/console/energy/indicators", P.VIEW_REPORT),
                NavItem("能耗报表", "/console/energy/reports", P.VIEW_REPORT),
                NavItem("定额与基准", "/console/energy/plan", P.VIEW_ENERGY),
                NavItem("能耗联络员", "/console/energy/contacts", P.VIEW_ENERGY),
            ),
        ),
    ),
    audit_labels={
        "energy.create_meter_model": "登记电表型号",
        "energy.create_meter": "登记电表",
        "energy.update_meter": "修改电表",
        "energy.set_meter_active": "启用或停用电表",
    },
    audit_fields={
        "kind": "计量种类",
        "protocol": "通信协议",
        "register_map": "寄存器设置",
        "function": "寄存器类型",
        "address": "起始地址",
        "data_type": "数据类型",
        "word_order": "字序",
        "milli_per_count": "每计数千分之一单位数",
        "coil": "继电器线圈地址",
        "can_switch": "可拉合闸",
        "role": "计量用途",
        "place_id": "地点编号",
        "unit_id": "单位编号",
        "shared_unit_ids": "共用单位编号",
        "apportion": "分摊方式",
        "model_id": "型号编号",
        "endpoint": "通信地址",
        "device_address": "表地址",
        "has_control_secret": "已设拉合闸密码",
        "multiplier": "倍率",
        "spike_limit_milli": "突增上限（千分之一单位）",
        "is_safety": "安全回路",
        "installed_on": "安装日期",
        "replaced_on": "更换日期",
    },
    audit_values={
        "kind": "backend.energy.models:MeterKind",
        "role": "backend.energy.models:MeterRole",
        "apportion": "backend.energy.models:Apportion",
        "protocol": "backend.energy.models:Protocol",
    },
    audit_objects={
        "meter": AuditedObject("电表", name="backend.energy.models:Meter.code"),
        "meter_model": AuditedObject("电表型号", name="backend.energy.models:MeterModel.name"),
    },
    dashboard=(
        DashboardCard("energy/dashboard_card.html", "backend.energy.pages.budgets:dashboard_card", P.VIEW_ENERGY, 45),
    ),
    demo="backend.energy.demo:seed",
    worker_tasks=("backend.energy.service.simulators:serve",),
    presets={
        "能耗管理员": (P.VIEW_ENERGY, P.MANAGE_METERS, P.MANAGE_BUDGETS, P.SWITCH_SUPPLY, P.VIEW_REPORT),
        "财务": (P.VIEW_ENERGY, P.VIEW_REPORT),
    },
)
