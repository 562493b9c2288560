"""Permissions of the produce shop: the shop's own staff run the catalogue, the theme weeks and
the orders; the canteen's counter hands over; finance settles with the suppliers."""

from __future__ import annotations

from backend.core.permissions import Permission


class ShopPermission(Permission):
    VIEW_SHOP = "shop.view_shop", "查看商品、主题周与订单"
    MANAGE_CATALOGUE = "shop.manage_catalogue", "管理商品、规格、库存与供货方"
    MANAGE_CYCLE = "shop.manage_cycle", "管理主题周（下单周期）"
    HAND_OVER = "shop.hand_over", "取货核销"
    REFUND_ORDER = "shop.refund_order", "审核与办理退款"
    VIEW_REPORT = "shop.view_report", "查看备货单、销售与结算报表"
    SETTLE_SUPPLIER = "shop.settle_supplier", "登记供货方结算"
