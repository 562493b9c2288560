"""The repairs module (随手拍报修): reports by photo, dispatch, time limits, parts, statistics,
reporters' notices and the Open311 interface."""

from __future__ import annotations

from backend.accounts.permissions import AccountsPermission
from backend.core.modules import (
    AuditedObject,
    DashboardCard,
    Module,
    NavItem,
    NavSection,
    NoticeTemplate,
    PersonSection,
)
from backend.repairs.permissions import RepairsPermission as P

MODULE = Module(
    name="repairs",
    title="报修管理",
    models="backend.repairs.models",
    permissions=P,
    routes=("backend.repairs.admin_api:bp", "backend.repairs.external_api:bp"),
    pages=("backend.repairs.pages.board:bp", "backend.repairs.pages.setup:bp", "backend.repairs.pages.stats:bp"),
    nav=(
        NavSection(
            "报修管理",
            40,
            (
                NavItem("派工台", "/console/repairs/", P.VIEW_REPORT),
                NavItem("统计", "/console/repairs/stats", P.VIEW_REPORT),
                NavItem("类别与班组", "/console/repairs/settings", P.VIEW_REPORT),
                NavItem("地点", "/console/repairs/locations", P.VIEW_REPORT),
                NavItem("备件库存", "/console/repairs/parts", P.VIEW_REPORT),
            ),
        ),
    ),
    audit_labels={
        # Recorded before places had a module of their own (now places.create_place): kept so
        # that those entries of the audit log keep their label.
        "repairs.create_location": "新增报修地点",
        "repairs.accept_report": "受理派工",
        "repairs.reassign_report": "改派报修单",
        "repairs.reopen_report": "重新打开报修单",
        "repairs.reject_report": "不予受理报修单",
        "repairs.mark_duplicate_report": "标记为重复报修",
        "repairs.cancel_report": "撤销报修单",
        "repairs.create_part": "新增维修备件",
        "repairs.save_category": "保存报修类别",
        "repairs.save_team": "保存维修班组",
        "repairs.stock_in": "备件入库",
        "repairs.issue_open311_key": "签发 Open311 密钥",
        "repairs.revoke_open311_key": "吊销 Open311 密钥",
    },
    audit_fields={
        "assignee": "维修人员",
        "assignee_id": "维修人员编号",
        "duplicate_of": "重复于报修单",
        "note": "备注",
        "state": "状态",
        "team": "班组",
        "unit": "计量单位",
        "quantity": "库存数量",
        "low_stock": "低库存线",
        "is_low": "库存不足",
        "person_id": "提交人编号",
        "created_at": "签发时间",
        "team_id": "班组编号",
        "accept_hours": "受理时限（小时）",
        "resolve_hours": "办结时限（小时）",
        "auto_assign": "自动派单",
        "sort_order": "排序",
        "dispatcher": "调度员（工号）",
        "members": "成员（工号）",
        "kind": "类型",
        "full_name": "完整名称",
        "parent_id": "上级地点编号",
    },
    audit_values={"kind": "backend.places.service:PlaceKind", "state": "backend.repairs.models:ReportState"},
    audit_objects={
        "repair_report": AuditedObject("报修单", describe="backend.repairs.service.reports:describe_reports"),
        "spare_part": AuditedObject("维修备件", name="backend.repairs.models:SparePart.name"),
        "open311_key": AuditedObject("Open311 密钥", name="backend.repairs.models:Open311Key.name"),
        "repair_category": AuditedObject("报修类别", name="backend.repairs.models:RepairCategory.name"),
        "repair_team": AuditedObject("维修班组", name="backend.repairs.models:RepairTeam.name"),
        "location": AuditedObject("报修地点"),
    },
    jobs="backend.repairs.jobs",
    settings="backend.repairs.config:RepairsSettings",
    notice_templates={
        "repairs.progress": NoticeTemplate("notice_template_id", "backend.repairs.service.notices:render"),
    },
    dashboard=(
        DashboardCard("repairs/dashboard_card.html", "backend.repairs.pages.board:dashboard_card", P.VIEW_REPORT, 20),
    ),
    person_sections=(
        # Shown with the person's roster details, to whoever may see those.
        PersonSection(
            "repairs/person_section.html",
            "backend.repairs.pages.setup:person_section",
            AccountsPermission.VIEW_PERSON,
            20,
        ),
    ),
    demo="backend.repairs.demo:seed",
    error_renderers={"/open311": "backend.repairs.external_api:render_error"},
    undocumented_prefixes=("/open311",),
    presets={"报修调度": (P.VIEW_REPORT, P.DISPATCH_REPORT)},
    cadre_roles="backend.repairs.service.catalog:cadre_roles",
)
