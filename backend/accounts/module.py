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
        "accounts.change_own_password": "修改本人密码",
        "accounts.create_admin": "创建管理员",
        "accounts.create_role": "创建角色",
        "accounts.create_person": "新增人员",
        "accounts.create_unit": "新建单位",
        "accounts.grant_role": "授予角色",
        "accounts.import_person": "导入人员",
        "accounts.import_roster": "导入名册",
        "accounts.leave_person": "办理离职",
        "accounts.move_person": "调动人员",
        "accounts.login": "登录",
        "accounts.login_failed": "登录失败",
        "accounts.logout": "退出登录",
        "accounts.register_device": "注册设备",
        "accounts.rename_unit": "单位更名",
        "accounts.reset_admin_password": "重置密码",
        "accounts.rotate_device_secret": "重置设备密钥",
        "accounts.set_admin_active": "启用/停用管理员",
        "accounts.set_device_enabled": "启用/停用设备",
        "accounts.set_unit_enabled": "启用/停用单位",
        "accounts.update_person": "编辑人员",
    },
    audit_fields={
        "must_change_password": "须修改密码",
        "left_at": "离职时间",
        "settled": "已结清",
        "wallet": "一卡通",
        "assets": "资产与办公用房",
        # ---- R2-C ---- (charging's part of a leaving, settled["charging"])
        "charging": "充电桩",
        "via": "登录方式",
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
    audit_values={"via": "backend.accounts.service.admins:LoginDoor", "permissions": "backend.modules:registry"},
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
        PersonSection(
            "accounts/person_section.html",
            "backend.accounts.pages.people:person_section",
            P.VIEW_PERSON,
            0,
            flashes={
                "person_created": "人员已添加到名册",
                "person_updated": "人员信息已保存",
                "person_unchanged": "人员信息没有改动",
                "person_moved": "调动已办理，卡片与一卡通账户随人员不变",
                "person_left": "离职已办理：微信绑定已解除，一卡通已结清，卡片已注销",
                "person_left_replayed": "这次离职已经办理过，未重复办理",
            },
        ),
    ),
    demo="backend.accounts.demo:seed",
    # The posts' roster share. 单位管理员 holds only what a grant over a unit can carry: it is
    # meant to be granted over the unit it administers.
    presets={
        "卡务员": (P.VIEW_UNIT, P.VIEW_PERSON),
        "财务": (P.VIEW_UNIT, P.VIEW_PERSON),
        "单位管理员": (P.VIEW_UNIT, P.VIEW_PERSON, P.IMPORT_PERSON, P.MANAGE_PERSON),
    },
    caches=("backend.accounts.service.devices:forget_known_devices",),
)
