"""The wallet module (一卡通): cards, wallets, the double-entry ledger, top-up, subsidy, refunds,
and the one charge operation the canteen's payments call."""

from __future__ import annotations

from backend.core.modules import Module, PersonSection
from backend.wallet.permissions import WalletPermission

MODULE = Module(
    name="wallet",
    title="一卡通",
    models="backend.wallet.models",
    permissions=WalletPermission,
    routes=("backend.wallet.admin_api:bp", "backend.wallet.external_api:bp"),
    pages=("backend.wallet.pages.person:bp",),
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
    person_sections=(
        PersonSection(
            "wallet/person_section.html",
            "backend.wallet.pages.person:person_section",
            WalletPermission.VIEW_WALLET,
            10,
            flashes={
                "adjusted": "调账已完成，已记入审计日志",
                "replayed": "这笔调账已经提交过，未重复记账",
                "refunded": "退款已登记，请按登记的方式将现金付给本人",
                "refunded_replayed": "这笔退款已经提交过，未重复退款",
                "closed": "已销户：现金已登记退款，餐补已收回，卡片已注销",
                "closed_replayed": "该账户已按这次提交销户，未重复办理",
            },
        ),
    ),
    reconcile=("backend.wallet.service.reconcile:check",),
    presets={
        "卡务员": (WalletPermission.VIEW_WALLET, WalletPermission.MANAGE_CARD, WalletPermission.REFUND_CASH),
        "财务": (
            WalletPermission.VIEW_WALLET,
            WalletPermission.ADJUST_WALLET,
            WalletPermission.REFUND_CASH,
            WalletPermission.MANAGE_SUBSIDY,
        ),
    },
)
