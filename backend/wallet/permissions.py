"""Permissions of the wallet module (一卡通: cards, balances, subsidy, refunds)."""

from __future__ import annotations

from backend.core.permissions import Permission


class WalletPermission(Permission):
    VIEW_WALLET = "wallet.view_wallet", "查看一卡通账户"
    MANAGE_CARD = "wallet.manage_card", "发卡、补卡、挂失与解挂、注销卡"
    ADJUST_WALLET = "wallet.adjust_wallet", "人工调账"
    REFUND_CASH = "wallet.refund_cash", "现金退款与销户"
    MANAGE_SUBSIDY = "wallet.manage_subsidy", "设置与发放餐补"
