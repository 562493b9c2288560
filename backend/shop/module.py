"""The produce shop (共富食味坊): catalogue and stock, theme weeks, carts and orders, payment from
the wallet or by WeChat Pay, refunds, pickup at the canteen, supplier reports and settlement."""

from __future__ import annotations

from backend.core.modules import AuditedObject, DashboardCard, Module, NavItem, NavSection, NoticeTemplate
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
    # H4 pickup and kiosk
    routes=("backend.shop.device_api:bp",),
    pages=("backend.shop.pages.pickup:bp",),
    nav=(NavSection("共富食味坊", 45, (NavItem("取货核销", "/console/shop/pickup", P.HAND_OVER),)),),
    audit_labels={
        "shop.hand_over_order": "食味坊订单取货核销",
        "shop.mark_ready": "食味坊标记到货",
    },
    audit_fields={
        "state": "订单状态",
        "picked_up_place": "取货地点",
        "pickup_day": "取货日",
        "orders": "订单数",
    },
    audit_values={"state": "backend.shop.models:OrderState"},
    dashboard=(DashboardCard("shop/pickup_card.html", "backend.shop.pages.pickup:dashboard_card", P.HAND_OVER, 35),),
    notice_templates={
        "shop.order": NoticeTemplate("notice_template_id", "backend.shop.service.notices:render_order"),
    },
    jobs="backend.shop.jobs",
)
