"""The repairs module (随手拍报修): reports by photo, dispatch, time limits, parts, statistics,
reporters' notices and the Open311 interface."""

from __future__ import annotations

from backend.accounts.permissions import AccountsPermission
from backend.core.modules import DashboardCard, Module, NavItem, NavSection, NoticeTemplate, PersonSection
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
)
