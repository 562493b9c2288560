"""The assets module (资产、公物仓与办公用房): asset cards and QR labels, the 公物仓 with requests and
loans approved through the approval chain, disposals, stock-taking by room, and the office-space
register (一房一档) with the area standard and room reallocation."""

from __future__ import annotations

from backend.assets.permissions import AssetsPermission as P
from backend.core.modules import ApprovalKind, AuditedObject, Module, NavItem, NavSection, NoticeTemplate

MODULE = Module(
    name="assets",
    title="资产与办公用房",
    models="backend.assets.models",
    permissions=P,
    settings="backend.assets.config:AssetsSettings",
    routes=("backend.assets.admin_api:bp",),
    audit_objects={
        "asset": AuditedObject("资产", name="backend.assets.models:Asset.name"),
        # ---- H4 公物仓 and disposals ----
        "assets_warehouse_request": AuditedObject(
            "公物仓申请", describe="backend.assets.service.warehouse:describe_requests"
        ),
        "assets_disposal": AuditedObject("资产处置", describe="backend.assets.service.disposals:describe_disposals"),
    },
    # ---- H4 公物仓 and disposals ----
    pages=("backend.assets.pages.warehouse:bp", "backend.assets.pages.disposals:bp"),
    nav=(
        NavSection(
            "资产与办公用房",
            55,
            (
                NavItem("公物仓", "/console/assets/warehouse", P.RUN_WAREHOUSE),
                NavItem("资产处置", "/console/assets/disposals", P.RECORD_DISPOSAL),
            ),
        ),
    ),
    jobs="backend.assets.jobs",
    audit_labels={
        "assets.warehouse_in": "资产入公物仓",
        "assets.return_loan": "登记公物仓借用归还",
        "assets.record_disposal": "登记资产处置结果",
    },
    audit_fields={
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
        "status": "backend.assets.models:AssetStatus",
        "condition": "backend.assets.models:ItemCondition",
        "method": "backend.assets.models:DisposalMethod",
    },
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
    presets={
        "资产管理员": (P.VIEW_ASSETS, P.MANAGE_ASSETS, P.RUN_STOCKTAKE, P.VIEW_SPACE, P.VIEW_REPORT),
        "公物仓管理员": (P.VIEW_ASSETS, P.RUN_WAREHOUSE, P.RECORD_DISPOSAL, P.VIEW_REPORT),
        "办公用房管理": (P.VIEW_SPACE, P.MANAGE_SPACE, P.VIEW_REPORT),
        "财务": (P.VIEW_ASSETS, P.VIEW_REPORT),
    },
)
