"""Reconciliation (`houqin reconcile`): proves the ledger's invariants or names what breaks them.

1. Every transfer's legs sum to zero, and so do all accounts together.
2. Each wallet's cash and subsidy balances equal the sums of their ledger accounts, and what the
   wallets owe for offline overdrafts equals what the offline-overdraft account advanced.
3. For the day checked: each canteen's ledger revenue equals the totals of its terminals'
   payments (paid ones, less the refunds made).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from tortoise.functions import Sum

from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.canteen.service import day_bounds
from backend.wallet import ledger
from backend.wallet.models import LedgerEntry, Transfer, Wallet


async def _sums(entries) -> dict[str, int]:
    """Balance per account, summed by the database."""
    rows = await entries.annotate(total=Sum("amount")).group_by("account").values_list("account", "total")
    return {account: int(total or 0) for account, total in rows}


async def check(day: date) -> list[str]:
    """Every broken invariant, in words; an empty list means the books are clean."""
    problems: list[str] = []
    unbalanced = await LedgerEntry.annotate(total=Sum("amount")).group_by("transfer_id").filter(
        total__not=0
    ).values_list("transfer_id", "total")
    for transfer_id, total in sorted(unbalanced):
        problems.append(f"凭证 {transfer_id} 借贷不平：合计 {total} 分")
    grand_total = int((await LedgerEntry.annotate(total=Sum("amount")).first().values_list("total", flat=True)) or 0)
    if grand_total:
        problems.append(f"全部账户合计不为零：{grand_total} 分")

    sums = await _sums(LedgerEntry.filter(account__startswith="wallet:"))
    owed_total = 0
    for wallet in await Wallet.all():
        owed_total += wallet.overdraft_owed
        for account, balance, label in (
            (ledger.wallet_cash(wallet.id), wallet.cash_balance, "现金"),
            (ledger.wallet_subsidy(wallet.id), wallet.subsidy_balance, "餐补"),
        ):
            if sums.get(account, 0) != balance:
                problems.append(f"账户 {wallet.id} {label}余额 {balance} 分，分录合计 {sums.get(account, 0)} 分")
        if wallet.cash_balance < 0 or wallet.subsidy_balance < 0:
            problems.append(f"账户 {wallet.id} 余额为负")
    advanced = -(await _sums(LedgerEntry.filter(account=ledger.OFFLINE_OVERDRAFT))).get(ledger.OFFLINE_OVERDRAFT, 0)
    if advanced != owed_total:
        problems.append(f"脱机透支：垫付 {advanced} 分，个人欠款合计 {owed_total} 分")

    start, end = day_bounds(day)
    transfers = Transfer.filter(at__gte=start, at__lt=end).values_list("id", flat=True)
    revenue = await _sums(LedgerEntry.filter(account__startswith="canteen:", transfer_id__in=await transfers))
    terminals: dict[str, int] = defaultdict(int)
    paid = await CanteenPayment.filter(
        paid_at__gte=start, paid_at__lt=end, status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED]
    ).values_list("canteen_id", "amount_fen")
    for canteen_id, amount in paid:
        terminals[ledger.canteen_revenue(canteen_id)] += amount
    refunded = await Transfer.filter(at__gte=start, at__lt=end, kind="canteen_refund").values_list("reference", flat=True)
    refunded_ids = [int(ref.split(":")[1]) for ref in refunded]
    for canteen_id, amount in await CanteenPayment.filter(id__in=refunded_ids).values_list("canteen_id", "amount_fen"):
        terminals[ledger.canteen_revenue(canteen_id)] -= amount
    for account in sorted(set(revenue) | set(terminals)):
        if revenue.get(account, 0) != terminals.get(account, 0):
            problems.append(
                f"{day.isoformat()} 食堂 {account.split(':')[1]}：入账 {revenue.get(account, 0)} 分，"
                f"终端合计 {terminals.get(account, 0)} 分"
            )
    return problems
