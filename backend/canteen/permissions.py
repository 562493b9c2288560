"""Permissions of the canteen module; the three marked Reach.OBJECT can be granted over one canteen,
and the settlement of units' meals over a unit subtree (a unit's finance office sees its own)."""

from __future__ import annotations

from backend.core.permissions import Permission, Reach


class CanteenPermission(Permission):
    MANAGE_CANTEEN = "canteen.manage_canteen", "管理食堂、餐次、价格、菜品与终端", Reach.OBJECT
    VIEW_PAYMENT = "canteen.view_payment", "查看消费记录与报表", Reach.OBJECT
    REFUND_PAYMENT = "canteen.refund_payment", "消费退款（因错退款）", Reach.OBJECT
    VIEW_SETTLEMENT = "canteen.view_settlement", "查看单位就餐结算", Reach.UNIT
