"""The assets module (资产、公物仓与办公用房): asset cards and QR labels, the 公物仓 with requests and
loans approved through the approval chain, disposals, stock-taking by room, and the office-space
register (一房一档) with the area standard and room reallocation."""

from __future__ import annotations

from backend.assets.permissions import AssetsPermission as P
from backend.core.modules import AuditedObject, Module, NavItem, NavSection

MODULE = Module(
    name="assets",
    title="资产与办公用房",
    models="backend.assets.models",
    permissions=P,
    settings="backend.assets.config:AssetsSettings",
    routes=("backend.assets.admin_api:bp",),
    audit_objects={
        "asset": AuditedObject("资产", name="backend.assets.models:Asset.name"),
        # ---- H1 cards ----
        "asset_category": AuditedObject("资产分类", name="backend.assets.models:AssetCategory.name"),
        "asset_officer": AuditedObject("资产管理员"),
        "asset_import": AuditedObject("资产导入文件"),
    },
    presets={
        "资产管理员": (P.VIEW_ASSETS, P.MANAGE_ASSETS, P.RUN_STOCKTAKE, P.VIEW_SPACE, P.VIEW_REPORT),
        "公物仓管理员": (P.VIEW_ASSETS, P.RUN_WAREHOUSE, P.RECORD_DISPOSAL, P.VIEW_REPORT),
        "办公用房管理": (P.VIEW_SPACE, P.MANAGE_SPACE, P.VIEW_REPORT),
        "财务": (P.VIEW_ASSETS, P.VIEW_REPORT),
    },
    # ---- H1 cards ----
    pages=("backend.assets.pages.cards:bp", "backend.assets.pages.setup:bp"),
    nav=(
        NavSection(
            "资产与办公用房",
            55,
            (
                NavItem("资产卡片", "/console/assets/cards", P.VIEW_ASSETS),
                NavItem("资产导入", "/console/assets/imports", P.MANAGE_ASSETS),
                NavItem("资产分类", "/console/assets/setup/categories", P.MANAGE_SETUP),
                NavItem("资产管理员", "/console/assets/setup/officers", P.MANAGE_SETUP),
            ),
        ),
    ),
    audit_labels={
        "assets.create_category": "新增资产分类",
        "assets.update_category": "修改资产分类",
        "assets.register_asset": "登记资产卡片",
        "assets.update_asset": "修改资产卡片",
        "assets.import_assets": "导入资产",
        "assets.assign_officer": "指定资产管理员",
        "assets.deactivate_officer": "停用资产管理员",
    },
    audit_fields={
        "parent_id": "上级分类编号",
        "useful_life_months": "使用年限（月）",
        "asset_no": "资产编号",
        "spec": "规格型号",
        "category_id": "资产分类编号",
        "unit_id": "使用单位编号",
        "place_id": "存放地点编号",
        "custodian_id": "使用人编号",
        "original_value_fen": "原值",
        "purchase_date": "购置日期",
        "status": "状态",
        "note": "备注",
        "total": "资产数",
        "applied": "已导入",
        "first_no": "起始资产编号",
        "last_no": "截止资产编号",
        "person_id": "人员编号",
        "employee_no": "工号",
        "person_name": "姓名",
        "unit_code": "单位编码",
        "unit_name": "单位",
    },
    audit_values={"status": "backend.assets.models:AssetStatus"},
)
