"""The assets module (资产、公物仓与办公用房): asset cards and QR labels, the 公物仓 with requests and
loans approved through the approval chain, disposals, stock-taking by room, and the office-space
register (一房一档) with the area standard and room reallocation."""

from __future__ import annotations

from backend.assets.permissions import AssetsPermission as P
from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection

MODULE = Module(
    name="assets",
    title="资产与办公用房",
    models="backend.assets.models",
    permissions=P,
    settings="backend.assets.config:AssetsSettings",
    routes=("backend.assets.admin_api:bp",),
    audit_objects={
        "asset": AuditedObject("资产", name="backend.assets.models:Asset.name"),
    },
    # ---- H3 labels, scanning, asset → repair, reports ----
    pages=(
        "backend.assets.pages.labels:bp",
        "backend.assets.pages.reports:bp",
        "backend.assets.pages.public:bp",
    ),
    nav=(
        NavSection(
            "资产与办公用房",
            50,
            (
                NavItem("资产标签", "/console/assets/labels", P.VIEW_ASSETS),
                NavItem("资产报表", "/console/assets/reports", P.VIEW_REPORT),
            ),
        ),
    ),
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
