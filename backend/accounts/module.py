"""The accounts module: units and the staff roster, WeChat binding, admins and roles, devices."""

from __future__ import annotations

from backend.accounts.permissions import AccountsPermission as P
from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection, PersonSection

MODULE = Module(
    name="accounts",
    title="单位与人员",
    models="backend.accounts.models",
    permissions=P,
    routes=("backend.accounts.admin_api:bp", "backend.accounts.device_api:bp"),
    pages=(
        "backend.accounts.pages.people:bp",
        "backend.accounts.pages.admins:bp",
        "backend.accounts.pages.devices:bp",
    ),
    nav=(
        NavSection(
            "单位与人员",
            10,
            (
                NavItem("单位", "/console/units", P.VIEW_UNIT),
                NavItem("人员名册", "/console/people", P.VIEW_PERSON),
                NavItem("名册导入", "/console/people/import", P.IMPORT_PERSON),
            ),
        ),
        NavSection(
            "系统管理",
            90,
            (
                NavItem("管理员与角色", "/console/admins", P.MANAGE_ADMIN),
                NavItem("设备", "/console/devices", P.VIEW_DEVICE),
            ),
        ),
    ),
    audit_labels={
        "accounts.create_admin": "创建管理员",
        "accounts.create_role": "创建角色",
        "accounts.create_unit": "新建单位",
        "accounts.grant_role": "授予角色",
        "accounts.import_person": "导入人员",
        "accounts.import_roster": "导入名册",
        "accounts.register_device": "注册设备",
        "accounts.reset_admin_password": "重置密码",
        "accounts.rotate_device_secret": "重置设备密钥",
        "accounts.set_admin_active": "启用/停用管理员",
        "accounts.set_device_enabled": "启用/停用设备",
    },
    audit_fields={
        "username": "用户名",
        "display_name": "姓名",
        "last_login_at": "最近登录",
        "admin_id": "管理员编号",
        "role": "角色",
        "unit": "单位",
        "canteen": "食堂",
        "permissions": "权限",
        "kind": "类型",
        "state": "状态",
        "location": "安装位置",
        "is_enabled": "启用",
        "online": "在线",
        "last_seen_at": "最近上线",
        "offline_since": "离线起始",
        "last_status": "最近状态",
        "health": "运行状况",
        "path": "层级路径",
        "depth": "层级",
        "parent_id": "上级单位编号",
        "employee_no": "工号",
        "id_card": "身份证号",
        "phone": "手机号",
        "staff_category": "人员类别",
        "wechat_bound": "已绑定微信",
        "applied": "已导入",
        "total": "总行数",
        "created": "新增人数",
        "updated": "更新人数",
        "is_active": "在用",
    },
    audit_values={"permissions": "backend.modules:registry"},
    audit_objects={
        "admin": AuditedObject("管理员", name="backend.accounts.models:AdminUser.display_name"),
        "role": AuditedObject("角色", name="backend.accounts.models:Role.name"),
        "device": AuditedObject("设备", name="backend.accounts.models:Device.name"),
        "unit": AuditedObject("单位", name="backend.accounts.models:Unit.name"),
        "person": AuditedObject("人员", name="backend.accounts.models:Person.name"),
        "roster": AuditedObject("名册文件"),
    },
    jobs="backend.accounts.jobs",
    dashboard=(
        DashboardCard(
            "accounts/dashboard_card.html", "backend.accounts.pages.devices:dashboard_card", P.VIEW_DEVICE, 30
        ),
    ),
    person_sections=(
        PersonSection("accounts/person_section.html", "backend.accounts.pages.people:person_section", P.VIEW_PERSON, 0),
    ),
    demo="backend.accounts.demo:seed",
    caches=("backend.accounts.service.devices:forget_known_devices",),
)
