"""Permissions of the assets module. A unit's asset office sees and keeps its own assets and
rooms (over its unit subtree); the 公物仓, disposals' records, the categories and the area
standard are the bureau's, platform-wide."""

from __future__ import annotations

from backend.core.permissions import Permission, Reach


class AssetsPermission(Permission):
    VIEW_ASSETS = "assets.view_assets", "查看资产卡片、标签与盘点", Reach.UNIT
    MANAGE_ASSETS = "assets.manage_assets", "登记、修改、导入资产", Reach.UNIT
    MANAGE_SETUP = "assets.manage_setup", "管理资产分类、资产管理员与面积标准"
    RUN_WAREHOUSE = "assets.run_warehouse", "管理公物仓（入仓、出仓、借用归还）"
    RECORD_DISPOSAL = "assets.record_disposal", "登记资产处置结果"
    RUN_STOCKTAKE = "assets.run_stocktake", "发起盘点与处理盘点差异", Reach.UNIT
    VIEW_SPACE = "assets.view_space", "查看办公用房与一房一档", Reach.UNIT
    MANAGE_SPACE = "assets.manage_space", "管理办公用房（面积、用途、使用人、档案、导入）"
    VIEW_REPORT = "assets.view_report", "查看资产与办公用房报表", Reach.UNIT
