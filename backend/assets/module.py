"""The assets module (资产、公物仓与办公用房): asset cards and QR labels, the 公物仓 with requests and
loans approved through the approval chain, disposals, stock-taking by room, and the office-space
register (一房一档) with the area standard and room reallocation."""

from __future__ import annotations

from backend.assets.permissions import AssetsPermission as P
from backend.core.modules import (
    ApprovalKind,
    AuditedObject,
    DashboardCard,
    Module,
    NavItem,
    NavSection,
    NoticeTemplate,
)

MODULE = Module(
    name="assets",
    title="资产与办公用房",
    models="backend.assets.models",
    permissions=P,
    settings="backend.assets.config:AssetsSettings",
    routes=("backend.assets.admin_api:bp",),
    pages=(
        "backend.assets.pages.labels:bp",
        "backend.assets.pages.reports:bp",
        "backend.assets.pages.public:bp",
        "backend.assets.pages.stocktakes:bp",
        "backend.assets.pages.warehouse:bp",
        "backend.assets.pages.disposals:bp",
    ),
    nav=(
        NavSection(
            "资产与办公用房",
            50,
            (
                NavItem("资产标签", "/console/assets/labels", P.VIEW_ASSETS),
                NavItem("资产盘点", "/console/assets/stocktakes", P.VIEW_ASSETS),
                NavItem("公物仓", "/console/assets/warehouse", P.RUN_WAREHOUSE),
                NavItem("资产处置", "/console/assets/disposals", P.RECORD_DISPOSAL),
                NavItem("资产报表", "/console/assets/reports", P.VIEW_REPORT),
            ),
        ),
    ),
    audit_labels={
        "assets.open_stocktake": "发起资产盘点",
        "assets.close_stocktake": "结束资产盘点",
        "assets.resolve_stocktake_finding": "处理盘点差异",
        "assets.warehouse_in": "资产入公物仓",
        "assets.return_loan": "登记公物仓借用归还",
        "assets.record_disposal": "登记资产处置结果",
    },
    audit_fields={
        "title": "任务名称",
        "unit_id": "单位编号",
        "building_id": "楼宇编号",
        "checkers": "盘点人工号",
        "rooms": "房间数",
        "items": "应盘资产数",
        "state": "状态",
        "rooms_checked": "已提交房间数",
        "missing": "盘亏",
        "moved": "位置不符",
        "unknown": "盘盈",
        "kind": "差异类型",
        "resolution": "处理结果",
        "asset_id": "资产编号",
        "found_place_id": "实际房间编号",
        "note": "说明",
        "status": "状态",
        "warehouse": "公物仓",
        "condition": "成色",
        "photos": "照片张数",
        "state_label": "办理状态",
        "method": "处置方式",
        "recipient": "接收单位",
        "proceeds_fen": "成交金额",
        "document_no": "文号",
    },
    audit_values={
        "state": "backend.assets.models:StocktakeState",
        "kind": "backend.assets.models:FindingKind",
        "resolution": "backend.assets.models:Resolution",
        "status": "backend.assets.models:AssetStatus",
        "condition": "backend.assets.models:ItemCondition",
        "method": "backend.assets.models:DisposalMethod",
    },
    audit_objects={
        "asset": AuditedObject("资产", name="backend.assets.models:Asset.name"),
        "stocktake": AuditedObject("盘点任务", name="backend.assets.models:Stocktake.title"),
        "stocktake_finding": AuditedObject("盘点差异"),
        "assets_warehouse_request": AuditedObject(
            "公物仓申请", describe="backend.assets.service.warehouse:describe_requests"
        ),
        "assets_disposal": AuditedObject("资产处置", describe="backend.assets.service.disposals:describe_disposals"),
    },
    jobs="backend.assets.jobs",
    notice_templates={
        "assets.request": NoticeTemplate("notice_template_id", "backend.assets.service.notices:render_request"),
        "assets.disposal": NoticeTemplate("notice_template_id", "backend.assets.service.notices:render_disposal"),
    },
    approval_kinds={
        "assets.warehouse_request": ApprovalKind(
            "公物仓调剂/借用申请",
            {"allocate": "调剂领用", "loan": "临时借用"},
            "backend.assets.service.warehouse:decided",
            "pages/approvals/detail",
        ),
        "assets.disposal": ApprovalKind(
            "资产处置申请",
            {"scrap": "报废", "auction": "拍卖", "donate": "捐赠", "transfer": "调拨"},
            "backend.assets.service.disposals:decided",
            "pages/approvals/detail",
        ),
    },
    dashboard=(
        DashboardCard("assets/dashboard_card.html", "backend.assets.pages.reports:dashboard_card", P.VIEW_ASSETS, 50),
    ),
    # The pages a QR code opens in a phone's browser: HTML for people, not part of the API.
    undocumented_prefixes=("/q/",),
    presets={
        "资产管理员": (P.VIEW_ASSETS, P.MANAGE_ASSETS, P.RUN_STOCKTAKE, P.VIEW_SPACE, P.VIEW_REPORT),
        "公物仓管理员": (P.VIEW_ASSETS, P.RUN_WAREHOUSE, P.RECORD_DISPOSAL, P.VIEW_REPORT),
        "办公用房管理": (P.VIEW_SPACE, P.MANAGE_SPACE, P.VIEW_REPORT),
        "财务": (P.VIEW_ASSETS, P.VIEW_REPORT),
    },
)
