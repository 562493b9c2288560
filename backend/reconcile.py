"""Reconciliation (`houqin reconcile`): proves the ledger's invariants or names what breaks them.

1. Every transfer's legs sum to zero, and so do all accounts together.
2. Each wallet's cash and subsidy balances equal the sums of their ledger accounts, none is below
   zero, and what the wallets owe for offline overdrafts equals what that account advanced.
3. Every paid or refunded canteen payment has its transfer, whose revenue leg is the payment's
   amount; every credited top-up is matched in the WeChat Pay clearing account; the cash refunds
   recorded (现金退款、销户) are what the refunds-payable account received.
4. For the day checked: each canteen's ledger revenue equals the totals of its terminals'
   payments (paid ones, less the refunds made).

All of it is read in one snapshot (REPEATABLE READ on PostgreSQL), so payments committing while
it runs cannot make the books look unbalanced.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.canteen.service import day_bounds
from backend.wallet import ledger
from backend.wallet.models import CashRefund, LedgerEntry, TopUpOrder, TopUpStatus, Transfer, TransferKind, Wallet


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


async def _payments_and_topups(conn: Any) -> list[str]:
    problems = []
    payments = (
        await CanteenPayment.filter(status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED])
        .using_db(conn)
        .values_list("id", "canteen_id", "amount_fen", "transfer_id")
    )
    revenue_legs = dict(
        await LedgerEntry.filter(
            transfer_id__in=[t for *_, t in payments if t is not None], account__startswith="canteen:"
        )
        .using_db(conn)
        .values_list("transfer_id", "amount")
    )
    for payment_id, _canteen_id, amount, transfer_id in payments:
        if transfer_id is None or revenue_legs.get(transfer_id) != amount:
            problems.append(f"消费 {payment_id}：金额 {amount} 分与其凭证 {transfer_id} 的入账不符")
    credited = (
        await TopUpOrder.filter(status=TopUpStatus.PAID)
        .using_db(conn)
        .annotate(total=Sum("amount_fen"))
        .first()
        .values_list("total", flat=True)
    )
    cleared = -(await _sums(conn, LedgerEntry.filter(account=ledger.WECHATPAY_CLEARING))).get(
        ledger.WECHATPAY_CLEARING, 0
    )
    if int(credited or 0) != cleared:
        problems.append(f"微信充值：已到账订单合计 {int(credited or 0)} 分，清算账户 {cleared} 分")
    refunded = (
        await CashRefund.all().using_db(conn).annotate(total=Sum("amount_fen")).first().values_list("total", flat=True)
    )
    payable = (await _sums(conn, LedgerEntry.filter(account=ledger.REFUNDS_PAYABLE))).get(ledger.REFUNDS_PAYABLE, 0)
    if int(refunded or 0) != payable:
        problems.append(f"现金退款：登记合计 {int(refunded or 0)} 分，退款账户 {payable} 分")
    return problems


async def _canteen_day(conn: Any, day: date) -> list[str]:
    problems = []
    start, end = day_bounds(day)
    transfers = await Transfer.filter(at__gte=start, at__lt=end).using_db(conn).values_list("id", flat=True)
    revenue = await _sums(conn, LedgerEntry.filter(account__startswith="canteen:", transfer_id__in=transfers))
    terminals: dict[str, int] = defaultdict(int)
    paid = (
        await CanteenPayment.filter(
            paid_at__gte=start, paid_at__lt=end, status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED]
        )
        .using_db(conn)
        .values_list("canteen_id", "amount_fen")
    )
    for canteen_id, amount in paid:
        terminals[ledger.canteen_revenue(canteen_id)] += amount
    refunded = (
        await Transfer.filter(at__gte=start, at__lt=end, kind=TransferKind.CANTEEN_REFUND)
        .using_db(conn)
        .values_list("reference", flat=True)
    )
    refunded_ids = [int(ref.split(":")[1]) for ref in refunded]
    for canteen_id, amount in (
        await CanteenPayment.filter(id__in=refunded_ids).using_db(conn).values_list("canteen_id", "amount_fen")
    ):
        terminals[ledger.canteen_revenue(canteen_id)] -= amount
    for account in sorted(set(revenue) | set(terminals)):
        if revenue.get(account, 0) != terminals.get(account, 0):
            problems.append(
                f"{day.isoformat()} 食堂 {account.split(':')[1]}：入账 {revenue.get(account, 0)} 分，"
                f"终端合计 {terminals.get(account, 0)} 分"
            )
    return problems


async def check(day: date) -> list[str]:
    """Every broken invariant, in words; an empty list means the books are clean."""
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return [
            *await _ledger_balances(conn),
            *await _wallets(conn),
            *await _payments_and_topups(conn),
            *await _canteen_day(conn, day),
        ]
