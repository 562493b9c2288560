"""The wallet's reconciliation checks (run by `houqin reconcile` with every module's own):

1. Every transfer's legs sum to zero, and so do all accounts together.
2. Each wallet's cash and subsidy balances equal the sums of their ledger accounts, none is below
   zero, and what the wallets owe for offline overdrafts equals what that account advanced.
3. Every credited top-up is matched by the top-up vouchers' legs on the WeChat Pay clearing
   account (other modules' WeChat Pay payments and refunds use it too and check their own); the
   cash refunds recorded
   (现金退款、销户) are what the refunds-payable account received.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tortoise.functions import Sum

from backend.wallet.models import CashRefund, LedgerEntry, TopUpOrder, TopUpStatus, TransferKind, Wallet
from backend.wallet.service import ledger


async def _sums(conn: Any, entries) -> dict[str, int]:
    """Balance per account, summed by the database."""
    rows = (
        await entries.using_db(conn).annotate(total=Sum("amount")).group_by("account").values_list("account", "total")
    )
    return {account: int(total or 0) for account, total in rows}


async def _ledger_balances(conn: Any) -> list[str]:
    problems = []
    unbalanced = (
        await LedgerEntry.all()
        .using_db(conn)
        .annotate(total=Sum("amount"))
        .group_by("transfer_id")
        .filter(total__not=0)
        .values_list("transfer_id", "total")
    )
    for transfer_id, total in sorted(unbalanced):
        problems.append(f"凭证 {transfer_id} 借贷不平：合计 {total} 分")
    grand_total = (
        await LedgerEntry.all().using_db(conn).annotate(total=Sum("amount")).first().values_list("total", flat=True)
    )
    if int(grand_total or 0):
        problems.append(f"全部账户合计不为零：{grand_total} 分")
    return problems


async def _wallets(conn: Any) -> list[str]:
    problems = []
    sums = await _sums(conn, LedgerEntry.filter(account__startswith="wallet:"))
    owed_total = 0
    for wallet in await Wallet.all().using_db(conn):
        owed_total += wallet.overdraft_owed
        for account, balance, label in (
            (ledger.wallet_cash(wallet.id), wallet.cash_balance, "现金"),
            (ledger.wallet_subsidy(wallet.id), wallet.subsidy_balance, "餐补"),
        ):
            if sums.get(account, 0) != balance:
                problems.append(f"账户 {wallet.id} {label}余额 {balance} 分，分录合计 {sums.get(account, 0)} 分")
        if min(wallet.cash_balance, wallet.subsidy_balance, wallet.overdraft_owed) < 0:
            problems.append(f"账户 {wallet.id} 余额或透支欠款为负")
    advanced = -(await _sums(conn, LedgerEntry.filter(account=ledger.OFFLINE_OVERDRAFT))).get(
        ledger.OFFLINE_OVERDRAFT, 0
    )
    if advanced != owed_total:
        problems.append(f"脱机透支：垫付 {advanced} 分，个人欠款合计 {owed_total} 分")
    return problems


async def _topups_and_refunds(conn: Any) -> list[str]:
    problems = []
    credited = (
        await TopUpOrder.filter(status=TopUpStatus.PAID)
        .using_db(conn)
        .annotate(total=Sum("amount_fen"))
        .first()
        .values_list("total", flat=True)
    )
    topup_legs = LedgerEntry.filter(account=ledger.WECHATPAY_CLEARING, transfer__kind=TransferKind.TOPUP)
    cleared = -(await _sums(conn, topup_legs)).get(ledger.WECHATPAY_CLEARING, 0)
    if int(credited or 0) != cleared:
        problems.append(f"微信充值：已到账订单合计 {int(credited or 0)} 分，清算账户 {cleared} 分")
    refunded = (
        await CashRefund.all().using_db(conn).annotate(total=Sum("amount_fen")).first().values_list("total", flat=True)
    )
    payable = (await _sums(conn, LedgerEntry.filter(account=ledger.REFUNDS_PAYABLE))).get(ledger.REFUNDS_PAYABLE, 0)
    if int(refunded or 0) != payable:
        problems.append(f"现金退款：登记合计 {int(refunded or 0)} 分，退款账户 {payable} 分")
    return problems


async def check(conn: Any, day: date) -> list[str]:
    """Every broken invariant of the ledger and the wallets, in words."""
    return [*await _ledger_balances(conn), *await _wallets(conn), *await _topups_and_refunds(conn)]
