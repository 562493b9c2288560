"""EV charging's reconciliation checks (run by `houqin reconcile` with every module's own):

1. The charging revenue account holds what the bills were paid (from wallets and from units'
   fleet cost) plus the shortfalls paid back later.
2. Every bill's voucher moved what the bill says was paid into the revenue (a bill with nothing
   paid has no voucher); every arrears voucher moved the shortfalls it paid.
3. Each unit's fleet cost account has gone down by exactly its official cars' bills.
4. Every stopped session has its bill (or stopped moments ago: its bill is being written).
5. No session was paid twice: one payment voucher per session.
6. Each voucher's other leg is the session's own payer (its cadre's wallet cash, its unit's
   fleet cost), for what the bill says.
7. Each bill adds up: energy + service = amount = paid + shortfall (a unit pays all of it).
8. Each official car's bill with an amount has its fleet upkeep record (the fleet service's).

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
from backend.fleet.service import upkeep
from backend.wallet.service import ledger, wallets
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


async def _payers(conn: Any) -> list[str]:
    bills = await (
        Bill.filter(transfer_id__not_isnull=True)
        .using_db(conn)
        .values_list("session_id", "transfer_id", "paid_fen", "amount_fen")
    )
    payers = {
        s_id: (kind, person_id, unit_id)
        for s_id, kind, person_id, unit_id in await Session.filter(id__in=[b[0] for b in bills])
        .using_db(conn)
        .values_list("id", "payer_kind", "person_id", "unit_id")
    }
    expected: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)  # account -> transfer -> (session, leg)
    problems = []
    for session_id, transfer_id, paid, amount in bills:
        kind, person_id, unit_id = payers[session_id]
        if kind == PayerKind.WALLET and person_id is not None:
            account = ledger.wallet_cash((await wallets.ensure_wallet(person_id)).id)
            expected[account][transfer_id] = (session_id, -paid)
        elif kind == PayerKind.FLEET and unit_id is not None:
            expected[fleet_cost(unit_id)][transfer_id] = (session_id, -amount)
        else:
            problems.append(f"充电记录 {session_id}：无付款人，却有收费凭证 {transfer_id}")
    for account, wanted in expected.items():
        legs = await ledger.leg_amounts(conn, list(wanted), account)
        for transfer_id, (session_id, leg) in wanted.items():
            if legs.get(transfer_id) != leg:
                problems.append(f"充电记录 {session_id}：凭证 {transfer_id} 未从付款人 {account} 支出 {-leg} 分")
    return problems


async def _sums(conn: Any) -> list[str]:
    problems = []
    kinds = dict(await Session.all().using_db(conn).values_list("id", "payer_kind"))
    for session_id, energy, service, amount, paid, shortfall in (
        await Bill.all()
        .using_db(conn)
        .values_list("session_id", "energy_fen", "service_fen", "amount_fen", "paid_fen", "shortfall_fen")
    ):
        if energy + service != amount:
            problems.append(f"充电记录 {session_id}：电费 {energy} 分 + 服务费 {service} 分 ≠ 金额 {amount} 分")
        if kinds.get(session_id) == PayerKind.WALLET and paid + shortfall != amount:
            problems.append(f"充电记录 {session_id}：实收 {paid} 分 + 欠费 {shortfall} 分 ≠ 金额 {amount} 分")
        if kinds.get(session_id) == PayerKind.FLEET and (paid, shortfall) != (amount, 0):
            problems.append(f"充电记录 {session_id}：单位应付全额 {amount} 分，账单实收 {paid} 分")
    return problems


async def _upkeep(conn: Any) -> list[str]:
    cars = dict(
        await Session.filter(payer_kind=PayerKind.FLEET, vehicle_id__not_isnull=True)
        .using_db(conn)
        .values_list("id", "vehicle_id")
    )
    billed = (
        await Bill.filter(session_id__in=list(cars), amount_fen__gt=0)
        .using_db(conn)
        .values_list("session_id", "amount_fen")
    )
    records: dict[int, list[dict]] = {}
    problems = []
    for session_id, amount in billed:
        vehicle_id = cars[session_id]
        if vehicle_id not in records:
            records[vehicle_id] = await upkeep.upkeep_of(vehicle_id, limit=100_000)
        mark = f"（充电记录 {session_id}）"
        if not any(mark in r["note"] and r["cost_fen"] == amount for r in records[vehicle_id]):
            problems.append(f"充电记录 {session_id}：公务车没有 {amount} 分的充电维护记录")
    return problems


async def check(conn: Any, day: date) -> list[str]:
    """Every broken invariant of charging's money, in words (over all days: `day` is the common
    signature of the checks)."""
    return [
        *await _revenue(conn),
        *await _vouchers(conn),
        *await _fleet(conn),
        *await _unbilled(conn),
        *await _paid_twice(conn),
        *await _payers(conn),
        *await _sums(conn),
        *await _upkeep(conn),
    ]
