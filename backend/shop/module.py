"""The produce shop (共富食味坊): catalogue and stock, theme weeks, carts and orders, payment from
the wallet or by WeChat Pay, refunds, pickup at the canteen, supplier reports and settlement."""

from __future__ import annotations

from backend.core.modules import AuditedObject, Module, NavItem, NavSection, WeChatPayOrders
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
    # H3 money: payment and refunds
    pages=("backend.shop.pages.refunds:bp",),
    nav=(NavSection("共富食味坊", 55, (NavItem("退款", "/console/shop/refunds", P.VIEW_SHOP),)),),
    audit_labels={
        "shop.approve_refund": "同意食味坊退款申请",
        "shop.reject_refund": "拒绝食味坊退款申请",
        "shop.refund_line": "办理食味坊退款",
    },
    audit_fields={
        "state": "状态",
        "amount_fen": "金额",
        "note": "处理意见",
        "order_no": "订单号",
        "product_name": "商品",
        "quantity": "数量",
        "method": "退回方式",
    },
    audit_values={"method": "backend.shop.models:PayMethod"},
    jobs="backend.shop.jobs",
    reconcile=("backend.shop.service.reconcile:check",),
    wechatpay_orders={
        "SP": WeChatPayOrders(
            "食味坊订单",
            paid="backend.shop.service.payments:apply_notice",
            refunded="backend.shop.service.refunds:apply_refund_notice",
        )
    },
)
