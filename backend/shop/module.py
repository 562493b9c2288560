"""The produce shop (共富食味坊): catalogue and stock, theme weeks, carts and orders, payment from
the wallet or by WeChat Pay, refunds, pickup at the canteen, supplier reports and settlement."""

from __future__ import annotations

from backend.core.modules import AuditedObject, Module
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
