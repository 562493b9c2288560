"""The wallet module (一卡通): cards, wallets, the double-entry ledger, top-up, subsidy, refunds,
and the one charge operation the canteen's payments call."""

from __future__ import annotations

from backend.core.modules import Module
from backend.wallet.permissions import WalletPermission

MODULE = Module(
    name="wallet",
    title="一卡通",
    models="backend.wallet.models",
    permissions=WalletPermission,
    routes=("backend.wallet.admin_api:bp", "backend.wallet.external_api:bp"),
    pages=("backend.wallet.pages:bp",),
    audit_labels={
        "wallet.adjust": "人工调账",
        "wallet.issue_card": "发卡",
        "wallet.card_lost": "挂失",
        "wallet.card_active": "解挂",
        "wallet.card_cancelled": "注销卡",
        "wallet.refund_cash": "现金退款",
        "wallet.close": "销户",
        "wallet.set_subsidy_rule": "设置餐补规则",
        "wallet.deactivate_subsidy_rule": "停用餐补规则",
    },
    jobs="backend.wallet.jobs",
    reconcile=("backend.wallet.service.reconcile:check",),
)
