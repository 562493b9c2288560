"""Tables of the wallet module: wallets, cards, and the double-entry ledger."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from backend.core.labels import LabelledEnum


class CardState(LabelledEnum):
    ACTIVE = "active", "正常"
    LOST = "lost", "挂失"
    CANCELLED = "cancelled", "注销"


class TransferKind(LabelledEnum):
    TOPUP = "topup", "充值"
    CANTEEN_PAYMENT = "canteen_payment", "食堂消费"
    CANTEEN_REFUND = "canteen_refund", "因错退款"
    SUBSIDY_GRANT = "subsidy_grant", "餐补发放"
    SUBSIDY_EXPIRY = "subsidy_expiry", "餐补清零"
    ADJUSTMENT = "adjustment", "人工调账"
    OVERDRAFT_ADVANCE = "overdraft_advance", "脱机透支垫付"
    OVERDRAFT_REPAYMENT = "overdraft_repayment", "透支归还"
    CASH_REFUND = "cash_refund", "现金退款"
    SUBSIDY_FORFEIT = "subsidy_forfeit", "销户收回餐补"
    SHOP_PAYMENT = "shop_payment", "食味坊购物"
    SHOP_REFUND = "shop_refund", "食味坊退款"
    SHOP_SETTLEMENT = "shop_settlement", "食味坊供货方结算"
    CHARGING_PAYMENT = "charging_payment", "充电消费"
    CHARGING_ARREARS = "charging_arrears", "充电欠费补缴"
    CHARGING_FLEET = "charging_fleet", "公务车充电费用"


class Wallet(Model):
    """A person's wallet (一卡通账户): cash (topped up, refundable) and subsidy (餐补, canteen only).

    The balances are the running totals of the ledger accounts `wallet:<id>:cash` and
    `wallet:<id>:subsidy`, and `overdraft_owed` is what offline payments beyond the balance advanced.
    A closed wallet (销户, `closed_at` set) gets no subsidy and no top-up until a new card reopens it.
    """

    id = fields.IntField(primary_key=True)
    person = fields.OneToOneField("houqin.Person", related_name="wallet", on_delete=fields.RESTRICT)
    cash_balance = fields.BigIntField(default=0)
    subsidy_balance = fields.BigIntField(default=0)
    overdraft_owed = fields.BigIntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    closed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wallet_wallet"


class Card(Model):
    """An IC card bound to one person. A replacement card keeps the wallet."""

    id = fields.IntField(primary_key=True)
    uid = fields.CharField(max_length=32, unique=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="cards", on_delete=fields.RESTRICT)
    state = fields.CharEnumField(CardState, max_length=16, default=CardState.ACTIVE)
    issued_at = fields.DatetimeField(auto_now_add=True)
    state_changed_at = fields.DatetimeField(null=True)
    # The key of the console form that issued it: a resubmitted form issues no second card.
    idempotency_key = fields.CharField(max_length=100, null=True, unique=True)

    class Meta:
        table = "wallet_card"


class Transfer(Model):
    """One double-entry transfer (记账凭证), whose entries sum to zero."""

    id = fields.BigIntField(primary_key=True)
    kind = fields.CharEnumField(TransferKind, max_length=32)
    at = fields.DatetimeField(db_index=True)
    reference = fields.CharField(max_length=64, default="", db_index=True)
    # The key of the console form that issued it: a resubmitted form issues no second card.
    idempotency_key = fields.CharField(max_length=100, null=True, unique=True)
    memo = fields.CharField(max_length=200, default="")
    reverses = fields.ForeignKeyField("houqin.Transfer", related_name="reversals", null=True, on_delete=fields.RESTRICT)

    class Meta:
        table = "wallet_transfer"


class LedgerEntry(Model):
    """One leg of a transfer: a signed amount in fen on a named account."""

    id = fields.BigIntField(primary_key=True)
    transfer = fields.ForeignKeyField("houqin.Transfer", related_name="entries", on_delete=fields.RESTRICT)
    account = fields.CharField(max_length=64, db_index=True)
    amount = fields.BigIntField()

    class Meta:
        table = "wallet_ledger_entry"


class RefundMethod(LabelledEnum):
    CASH = "cash", "现金"
    BANK_TRANSFER = "bank_transfer", "银行转账"


class CashRefund(Model):
    """Cash paid back to a person at the finance desk (现金退款), or on closing the wallet (销户),
    when the subsidy left is forfeited too. One per idempotency key, so a retried request pays once."""

    id = fields.BigIntField(primary_key=True)
    wallet = fields.ForeignKeyField("houqin.Wallet", related_name="cash_refunds", on_delete=fields.RESTRICT)
    amount_fen = fields.BigIntField()
    subsidy_forfeited_fen = fields.BigIntField(default=0)
    closes_wallet = fields.BooleanField(default=False)
    method = fields.CharEnumField(RefundMethod, max_length=16)
    payout_reference = fields.CharField(max_length=64, default="")
    reason = fields.CharField(max_length=200)
    admin_id = fields.IntField(null=True)
    admin_name = fields.CharField(max_length=64, default="")
    idempotency_key = fields.CharField(max_length=100, unique=True)
    transfer_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "wallet_cash_refund"


class TopUpStatus(LabelledEnum):
    PENDING = "pending", "待支付"
    PAID = "paid", "已到账"
    CLOSED = "closed", "已关闭（未支付）"
    AMOUNT_MISMATCH = "amount_mismatch", "金额不符，待人工核查"


class TopUpOrder(Model):
    """A WeChat Pay top-up of a wallet (充值订单). Credited once, only from a verified answer."""

    id = fields.BigIntField(primary_key=True)
    out_trade_no = fields.CharField(max_length=32, unique=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="topups", on_delete=fields.RESTRICT)
    amount_fen = fields.IntField()
    status = fields.CharEnumField(TopUpStatus, max_length=16, default=TopUpStatus.PENDING)
    transaction_id = fields.CharField(max_length=64, null=True)
    transfer = fields.ForeignKeyField("houqin.Transfer", related_name="topups", null=True, on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    paid_at = fields.DatetimeField(null=True)
    # The mini-program's key of the cadre's one tap on 充值: a retry with it gets this order again.
    client_ref = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "wallet_topup_order"
        unique_together = (("person", "client_ref"),)


class SubsidyRule(Model):
    """Monthly meal subsidy (餐补) for a staff category of a unit and the units below it, unless
    one of those has its own rule. `expires_monthly`: what is left at month end is cleared (清零)."""

    id = fields.IntField(primary_key=True)
    unit = fields.ForeignKeyField("houqin.Unit", related_name="subsidy_rules", on_delete=fields.RESTRICT)
    staff_category = fields.CharField(max_length=16)
    amount_fen = fields.IntField()
    expires_monthly = fields.BooleanField(default=True)
    is_active = fields.BooleanField(default=True)

    class Meta:
        table = "wallet_subsidy_rule"
        unique_together = (("unit", "staff_category"),)


class SubsidyGrant(Model):
    """One month's subsidy credited to one person: at most one per person and month."""

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("houqin.Person", related_name="subsidy_grants", on_delete=fields.RESTRICT)
    month = fields.CharField(max_length=7)
    rule = fields.ForeignKeyField("houqin.SubsidyRule", related_name="grants", on_delete=fields.RESTRICT)
    amount_fen = fields.IntField()
    transfer_id = fields.BigIntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wallet_subsidy_grant"
        unique_together = (("person", "month"),)


class SubsidyExpiry(Model):
    """The subsidy cleared from one wallet at the end of one month: at most once."""

    id = fields.BigIntField(primary_key=True)
    wallet = fields.ForeignKeyField("houqin.Wallet", related_name="subsidy_expiries", on_delete=fields.RESTRICT)
    month = fields.CharField(max_length=7)
    amount_fen = fields.IntField()
    transfer_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "wallet_subsidy_expiry"
        unique_together = (("wallet", "month"),)


class SubsidyGrantRun(Model):
    """One run of a month's subsidy grant (餐补发放), by the monthly job or by an admin, and what it
    did: the people granted in this run and their total, those granted before, those skipped for a
    closed wallet, the wallets cleared, and each person it failed for with the reason in Chinese.
    A run started from the console carries the form's idempotency key: a resubmitted form runs once.
    The run is kept as it starts (claiming its key) and filled in as it ends: until then it has no
    `finished_at`, and one that never got one was cut short (the process stopped mid-run)."""

    id = fields.IntField(primary_key=True)
    month = fields.CharField(max_length=7, db_index=True)
    granted = fields.IntField(default=0)
    granted_fen = fields.BigIntField(default=0)
    already = fields.IntField(default=0)
    closed = fields.IntField(default=0)
    cleared = fields.IntField(default=0)
    failures = fields.JSONField(default=list)
    admin_id = fields.IntField(null=True)
    admin_name = fields.CharField(max_length=64, default="")
    idempotency_key = fields.CharField(max_length=100, null=True, unique=True)
    ran_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "wallet_subsidy_grant_run"
