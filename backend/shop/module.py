"""The produce shop (共富食味坊): catalogue and stock, theme weeks, carts and orders, payment from
the wallet or by WeChat Pay, refunds, pickup at the canteen, supplier reports and settlement."""

from __future__ import annotations

from backend.core.modules import AuditedObject, Module, NavItem, NavSection
from backend.shop.permissions import ShopPermission as P

MODULE = Module(
    name="shop",
    title="共富食味坊",
    models="backend.shop.models",
    permissions=P,
    settings="backend.shop.config:ShopSettings",
    audit_objects={
        "supplier": AuditedObject("供货方", name="backend.shop.models:Supplier.name"),
        "product": AuditedObject("商品", name="backend.shop.models:Product.name"),
        "sku": AuditedObject("商品规格", name="backend.shop.models:Sku.spec"),
        "cycle": AuditedObject("主题周", name="backend.shop.models:Cycle.title"),
        "order": AuditedObject("食味坊订单", name="backend.shop.models:Order.order_no"),
        "refund": AuditedObject("食味坊退款", name="backend.shop.models:Refund.refund_no"),
        "settlement": AuditedObject("供货方结算"),
    },
    routes=("backend.shop.admin_api:bp",),
    pages=("backend.shop.pages.reports:bp",),
    nav=(
        NavSection(
            "共富食味坊",
            55,
            (
                NavItem("备货单", "/console/shop/reports/purchase", P.VIEW_REPORT),
                NavItem("销售报表", "/console/shop/reports/sales", P.VIEW_REPORT),
                NavItem("供货方结算", "/console/shop/reports/settlements", P.VIEW_REPORT),
            ),
        ),
    ),
    audit_labels={"shop.settle_supplier": "登记供货方结算"},
    audit_fields={
        "supplier_id": "供货方编号",
        "supplier": "供货方",
        "period_start": "结算区间起",
        "period_end": "结算区间止",
        "amount_fen": "金额",
        "reference": "凭证号",
        "settled_by": "经办人",
        "settled_at": "登记时间",
        "owed_fen": "应付未结",
    },
    presets={
        "食味坊运营": (
            P.VIEW_SHOP,
            P.MANAGE_CATALOGUE,
            P.MANAGE_CYCLE,
            P.HAND_OVER,
            P.REFUND_ORDER,
            P.VIEW_REPORT,
        ),
        "食堂管理员": (P.VIEW_SHOP, P.HAND_OVER),
        "财务": (P.VIEW_SHOP, P.VIEW_REPORT, P.SETTLE_SUPPLIER),
    },
)
