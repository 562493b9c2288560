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
    # H2 orders: the console's orders pages and the unpaid time-out job.
    pages=("backend.shop.pages.orders:bp",),
    nav=(NavSection("共富食味坊", 55, (NavItem("订单", "/console/shop/orders", P.VIEW_SHOP),)),),
    jobs="backend.shop.jobs",
    audit_objects={
        "supplier": AuditedObject("供货方", name="backend.shop.models:Supplier.name"),
        "product": AuditedObject("商品", name="backend.shop.models:Product.name"),
        "sku": AuditedObject("商品规格", name="backend.shop.models:Sku.spec"),
        "cycle": AuditedObject("主题周", name="backend.shop.models:Cycle.title"),
        "order": AuditedObject("食味坊订单", name="backend.shop.models:Order.order_no"),
        "refund": AuditedObject("食味坊退款", name="backend.shop.models:Refund.refund_no"),
        "settlement": AuditedObject("供货方结算"),
    },
)
