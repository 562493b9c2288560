"""The wallet module (一卡通): cards, wallets, the double-entry ledger, top-up, subsidy, refunds,
and the one charge operation the canteen's payments call."""

from __future__ import annotations

from backend.core.modules import AuditedObject, Module, PersonSection
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
    audit_fields={
        "uid": "卡号",
        "state": "状态",
        "issued_at": "发卡时间",
        "replace": "补卡",
        "cash_fen": "现金余额",
        "subsidy_fen": "餐补余额",
        "total_fen": "总余额",
        "overdraft_owed_fen": "透支欠款",
        "transfer_id": "记账流水号",
        "closed": "已销户",
        "amount_fen": "金额",
        "subsidy_forfeited_fen": "收回餐补",
        "closes_wallet": "同时销户",
        "method": "退款方式",
        "payout_reference": "转账流水号",
        "admin_name": "经办人",
        "created_at": "办理时间",
        "unit": "单位",
        "staff_category": "人员类别",
        "expires_monthly": "月底清零",
        "is_active": "生效",
    },
    audit_values={"staff_category": "backend.accounts.service.people:StaffCategory"},
    audit_objects={
        "card": AuditedObject("一卡通卡片", name="backend.wallet.models:Card.uid"),
        "wallet": AuditedObject("一卡通账户", describe="backend.wallet.service.wallets:describe_wallets"),
        "subsidy_rule": AuditedObject("餐补规则", describe="backend.wallet.service.subsidy:describe_rules"),
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
)
