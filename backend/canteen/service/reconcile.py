"""The canteen's reconciliation checks (run by `houqin reconcile` with every module's own):

1. Every paid or refunded canteen payment has its transfer, whose revenue leg is the payment's
   amount.
2. For the day checked: each canteen's ledger revenue equals the totals of its terminals'
   payments (paid ones, less the refunds made).

The ledger is read through the wallet's service, never its tables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.canteen.service.canteens import day_bounds
from backend.wallet.service import ledger


async def _payments(conn: Any) -> list[str]:
    problems = []
    payments = (
        await CanteenPayment.filter(status__in=[PaymentStatus.PAID, PaymentStatus.REFUNDED])
        .using_db(conn)
        .values_list("id", "canteen_id", "amount_fen", "transfer_id")
    )
    revenue_legs = await ledger.leg_amounts(conn, [t for *_, t in payments if t is not None], "canteen:")
    for payment_id, _canteen_id, amount, transfer_id in payments:
        if transfer_id is None or revenue_legs.get(transfer_id) != amount:
            problems.append(f"消费 {payment_id}：金额 {amount} 分与其凭证 {transfer_id} 的入账不符")
    return problems


async def _canteen_day(conn: Any, day: date) -> list[str]:
    problems = []
    start, end = day_bounds(day)
    revenue = await ledger.account_sums_between(conn, "canteen:", start, end)
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
    refunded = await ledger.references_between(conn, ledger.TransferKind.CANTEEN_REFUND, start, end)
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


async def check(conn: Any, day: date) -> list[str]:
    """Every broken invariant of the canteen's payments and revenue, in words."""
    return [*await _payments(conn), *await _canteen_day(conn, day)]
