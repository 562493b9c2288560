"""EV charging's reconciliation checks (run by `houqin reconcile` with every module's own):

1. The charging revenue account holds what the bills were paid (from wallets and from units'
   fleet cost) plus the shortfalls paid back later.
2. Every bill's voucher moved what the bill says was paid into the revenue (a bill with nothing
   paid has no voucher); every arrears voucher moved the shortfalls it paid.
3. Each unit's fleet cost account has gone down by exactly its official cars' bills.
4. Every stopped session has its bill (or stopped moments ago: its bill is being written).
5. No session was paid twice: one payment voucher per session.

The ledger is read through the wallet's service, never its tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Sum

from backend.charging.models import Bill, PayerKind, Session, SessionState
from backend.charging.service.accounts import REVENUE, fleet_cost
from backend.core.timeutil import BUSINESS_TZ, now
from backend.wallet.service import ledger
from backend.wallet.service.ledger import TransferKind

# A stop is billed right after it is recorded; longer without a bill means the billing failed
# and charging.bill_stopped has not caught up.
BILLING_GRACE = timedelta(minutes=5)
_ALL_TIME = (datetime(2000, 1, 1, tzinfo=BUSINESS_TZ), datetime(2200, 1, 1, tzinfo=BUSINESS_TZ))


async def _sum(conn: Any, query, field: str) -> int:
    value = await query.using_db(conn).annotate(total=Sum(field)).first().values_list("total", flat=True)
    return int(value or 0)


async def _revenue(conn: Any) -> list[str]:
    paid = await _sum(conn, Bill.all(), "paid_fen")
    arrears = await _sum(conn, Bill.filter(shortfall_paid_at__not_isnull=True), "shortfall_fen")
    held = await ledger.account_balance(conn, REVENUE)
    if held != paid + arrears:
        return [f"充电收入账户余额 {held} 分，应为账单实收 {paid} 分 + 补缴欠费 {arrears} 分 = {paid + arrears} 分"]
    return []


async def _vouchers(conn: Any) -> list[str]:
    problems = []
    bills = await Bill.all().using_db(conn).values_list("session_id", "paid_fen", "transfer_id")
    arrears: dict[int, int] = defaultdict(int)
    for transfer_id, shortfall in await (
        Bill.filter(shortfall_transfer_id__not_isnull=True)
        .using_db(conn)
        .values_list("shortfall_transfer_id", "shortfall_fen")
    ):
        arrears[transfer_id] += shortfall
    ids = [t for *_, t in bills if t is not None] + list(arrears)
    revenue_legs = await ledger.leg_amounts(conn, ids, REVENUE)
    for session_id, paid, transfer_id in bills:
        if transfer_id is None:
            if paid:
                problems.append(f"充电记录 {session_id}：账单实收 {paid} 分，却没有凭证")
        elif revenue_legs.get(transfer_id) != paid:
            problems.append(f"充电记录 {session_id}：账单实收 {paid} 分与其凭证 {transfer_id} 的入账不符")
    for transfer_id, shortfall in arrears.items():
        if revenue_legs.get(transfer_id) != shortfall:
            problems.append(f"充电欠费补缴凭证 {transfer_id}：入账与所补欠费 {shortfall} 分不符")
    return problems


async def _fleet(conn: Any) -> list[str]:
    billed: dict[str, int] = defaultdict(int)
    fleet_sessions = Session.filter(payer_kind=PayerKind.FLEET, unit_id__not_isnull=True).using_db(conn)
    units = dict(await fleet_sessions.values_list("id", "unit_id"))
    for session_id, amount in (
        await Bill.filter(session_id__in=list(units)).using_db(conn).values_list("session_id", "amount_fen")
        if units
        else []
    ):
        billed[fleet_cost(units[session_id])] -= amount
    held = await ledger.account_sums_between(conn, "charging:unit:", *_ALL_TIME)
    return [
        f"单位公务车充电费用账户 {account} 余额 {held.get(account, 0)} 分，应为 {billed.get(account, 0)} 分"
        for account in sorted(set(held) | set(billed))
        if held.get(account, 0) != billed.get(account, 0)
    ]


async def _unbilled(conn: Any) -> list[str]:
    billed = Bill.all().using_db(conn).values_list("session_id", flat=True)
    waiting = await (
        Session.filter(state=SessionState.STOPPED, stopped_at__lt=now() - BILLING_GRACE)
        .exclude(id__in=Subquery(billed))
        .using_db(conn)
        .values_list("id", flat=True)
    )
    return [f"充电记录 {session_id}：已结束超过 5 分钟仍未结算" for session_id in waiting]


async def _paid_twice(conn: Any) -> list[str]:
    references: Counter[str] = Counter()
    for kind in (TransferKind.CHARGING_PAYMENT, TransferKind.CHARGING_FLEET):
        references.update(await ledger.references_between(conn, kind, *_ALL_TIME))
    return [f"充电记录 {ref.partition(':')[2]}：收费 {n} 次" for ref, n in sorted(references.items()) if n > 1]


async def check(conn: Any, day: date) -> list[str]:
    """Every broken invariant of charging's money, in words (over all days: `day` is the common
    signature of the checks)."""
    return [
        *await _revenue(conn),
        *await _vouchers(conn),
        *await _fleet(conn),
        *await _unbilled(conn),
        *await _paid_twice(conn),
    ]
