"""The wallet module (一卡通): cards, wallets, the double-entry ledger, top-up, subsidy, refunds,
and the one charge operation the canteen's payments call."""

from __future__ import annotations

from backend.core.modules import Module, NavItem, NavSection, PersonLeaving, PersonSection
from backend.wallet.permissions import WalletPermission

MODULE = Module(
    name="wallet",
    title="一卡通",
    models="backend.wallet.models",
    permissions=WalletPermission,
    routes=("backend.wallet.admin_api:bp", "backend.wallet.external_api:bp"),
    pages=(
        "backend.wallet.pages.person:bp",
        "backend.wallet.pages.cards:bp",
        "backend.wallet.pages.statement:bp",
        "backend.wallet.pages.subsidy:bp",
    ),
    nav=(
        NavSection(
            "一卡通",
            15,
            (NavItem("餐补", "/console/wallet/subsidy", WalletPermission.MANAGE_SUBSIDY),),
        ),
    ),
    audit_labels={
        "wallet.adjust": "人工调账",
        "wallet.issue_card": "发卡",
        "wallet.replace_card": "补卡",
        "wallet.card_lost": "挂失",
        "wallet.card_active": "解挂",
        "wallet.card_cancelled": "注销卡",
        "wallet.refund_cash": "现金退款",
        "wallet.close": "销户",
        "wallet.set_subsidy_rule": "设置餐补规则",
        "wallet.deactivate_subsidy_rule": "停用餐补规则",
        "wallet.grant_subsidy": "发放餐补",
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
                "card_issued": "已发卡：新卡即可在各食堂刷卡消费",
                "card_issued_replayed": "这张卡已按这次提交发放，未重复发卡",
                "card_replaced": "补卡完成：原卡已注销，新卡沿用原账户，余额原样可用，未重复入账",
                "card_replaced_replayed": "这次补卡已经办理，未重复补卡",
                "card_lost": "已挂失：该卡在联网终端立即停用，脱机终端同步黑名单后停用",
                "card_lost_already": "该卡已是挂失状态，未重复办理",
                "card_unlocked": "已解挂：该卡恢复正常使用",
                "card_unlocked_already": "该卡已是正常状态，未重复办理",
                "card_cancelled": "已注销该卡：此卡不能再使用，也不能再次发放",
                "card_cancelled_already": "该卡已注销，未重复办理",
            },
        ),
    ),
    person_leaving=(
        PersonLeaving(
            "backend.wallet.service.offboarding:preview",
            "backend.wallet.service.offboarding:leave",
            WalletPermission.REFUND_CASH,
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
