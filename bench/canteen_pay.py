"""Benchmark of canteen payments (`make bench-canteen`), against PostgreSQL and Redis.

N simulated terminals pay concurrently over HTTP (signed requests, cards picked round-robin)
for BENCH_SECONDS against `houqin serve` with BENCH_WORKERS workers; then the invariants are
checked (reconcile, and every 200 answer matched by exactly one paid payment and its money).
In the same run the same transaction is done directly in SQL with asyncpg, as the ceiling.
Prints:
    canteen_pay: tx_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> invariant_violations=<n>
    canteen_pay_raw_sql: tx_per_s=<n>
The bench lets a card pay many times per meal (max swipes 100000) so that the load is not
limited by the number of cardholders; everything else is the production path.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from datetime import time as clock

import asyncpg
from tortoise.functions import Sum

from bench.common import (
    HOUQIN,
    closed_loop,
    device_stamps,
    require_services,
    running_server,
    server_env,
    staff_unit,
    throwaway_database,
)
from kiosk.backend_client import signature_headers

SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
TERMINALS = int(os.environ.get("BENCH_TERMINALS", "16"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "400"))
PRICE = 1500
START_CASH = 100_000_000


async def prepare(
    env: dict[str, str], terminal_count: int = TERMINALS, people: int = PEOPLE
) -> tuple[list[tuple[str, str]], list[str]]:
    """Cardholders with money, a canteen open all day, and registered terminals."""
    from backend.accounts.models import DeviceKind, Person
    from backend.accounts.service import devices
    from backend.canteen.models import DinerCategory, TerminalMode
    from backend.canteen.service import canteens
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.permissions import Scope
    from backend.runtime import close_runtime, open_runtime
    from backend.wallet.service import wallets

    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await staff_unit(runtime.cipher, "CITY", "市机关事务管理局", people, "B", "139")
        await canteens.create_canteen(CLI_ACTOR, "BENCH", "压测食堂", scope=Scope.EVERYTHING)
        await canteens.set_period(
            CLI_ACTOR,
            "BENCH",
            "lunch",
            "午餐",
            clock(0, 0),
            clock(23, 59),
            100_000,
            {DinerCategory.STAFF: (PRICE, 0)},
            scope=Scope.EVERYTHING,
        )
        terminals = []
        for i in range(terminal_count):
            code = f"BT-{i:03d}"
            _, secret = await devices.register_device(
                CLI_ACTOR, runtime.cipher, code, code, DeviceKind.CANTEEN_TERMINAL, ""
            )
            await canteens.bind_terminal(
                CLI_ACTOR, "BENCH", code, TerminalMode.FIXED_PRICE, code, scope=Scope.EVERYTHING
            )
            terminals.append((code, secret))
        uids = []
        for person in await Person.all().order_by("id"):
            uid = f"B0{person.id:06d}"
            await wallets.issue_card(CLI_ACTOR, person.id, uid)
            await wallets.adjust(CLI_ACTOR, person.id, START_CASH, "压测充值", f"bench-{uid}")
            uids.append(uid)
        return terminals, uids
    finally:
        await close_runtime(runtime)


async def check_invariants(env: dict[str, str], paid_answers: int) -> int:
    from backend.canteen.models import CanteenPayment, PaymentStatus
    from backend.core.config import Settings
    from backend.core.timeutil import BUSINESS_TZ, now
    from backend.reconcile import check
    from backend.runtime import close_runtime, open_runtime
    from backend.wallet.models import Wallet

    runtime = await open_runtime(Settings.from_env(env))
    try:
        problems = await check(now().astimezone(BUSINESS_TZ).date())
        paid = await CanteenPayment.filter(status=PaymentStatus.PAID).count()
        spent = START_CASH * await Wallet.all().count() - int(
            (await Wallet.all().annotate(t=Sum("cash_balance")).first().values_list("t", flat=True)) or 0
        )
        violations = len(problems) + (paid != paid_answers) + (spent != paid * PRICE)
        for problem in problems[:5]:
            print("  invariant:", problem)
        return violations
    finally:
        await close_runtime(runtime)


async def raw_sql_ceiling(db_url: str, uids: list[str]) -> float:
    """The same payment, as few statements as possible, straight through asyncpg."""
    pool = await asyncpg.create_pool(db_url, min_size=TERMINALS, max_size=TERMINALS)
    canteen_id = await pool.fetchval("SELECT id FROM canteen_canteen WHERE code = 'BENCH'")
    terminal_id = await pool.fetchval("SELECT min(id) FROM canteen_terminal")
    cards = await pool.fetch(
        "SELECT c.uid, c.person_id, w.id AS wallet_id FROM wallet_card c "
        "JOIN wallet_wallet w ON w.person_id = c.person_id"
    )
    answer = json.dumps({"http_status": 200, "body": {"status": "paid"}})

    async def one(_http, index: int, n: int) -> bool:
        card = cards[(index * 7919 + n) % len(cards)]
        txn = f"raw-{index}-{n}-{uuid.uuid4().hex[:6]}"
        async with pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(
                "SELECT 1 FROM canteen_payment WHERE terminal_id=$1 AND terminal_txn_no=$2", terminal_id, txn
            ):
                return True
            await conn.fetchrow("SELECT id FROM wallet_card WHERE uid=$1", card["uid"])
            wallet = await conn.fetchrow(
                "SELECT cash_balance FROM wallet_wallet WHERE id=$1 FOR UPDATE", card["wallet_id"]
            )
            await conn.fetch(
                "SELECT subsidy_fen FROM canteen_payment WHERE person_id=$1 AND canteen_id=$2 "
                "AND business_date=current_date AND period_code='lunch' AND status='paid'",
                card["person_id"],
                canteen_id,
            )
            if wallet["cash_balance"] < PRICE:
                return False
            await conn.execute(
                "UPDATE wallet_wallet SET cash_balance = cash_balance - $2 WHERE id=$1 AND cash_balance >= $2",
                card["wallet_id"],
                PRICE,
            )
            transfer_id = await conn.fetchval(
                "INSERT INTO wallet_transfer (kind, at, reference, memo) VALUES ('canteen_payment', now(), $1, '') "
                "RETURNING id",
                txn,
            )
            await conn.execute(
                "INSERT INTO wallet_ledger_entry (transfer_id, account, amount) VALUES ($1, $2, $3), ($1, $4, $5)",
                transfer_id,
                f"wallet:{card['wallet_id']}:cash",
                -PRICE,
                f"canteen:{canteen_id}:revenue",
                PRICE,
            )
            await conn.execute(
                "INSERT INTO canteen_payment (terminal_id, terminal_txn_no, canteen_id, person_id, card_uid, method,"
                " business_date, period_code, amount_fen, subsidy_fen, cash_fen, status, refusal_code, answer,"
                " transfer_id, paid_at, offline, lost_card_flag, overdraft_fen, refund_reason, created_at)"
                " VALUES ($1,$2,$3,$4,$5,'card',current_date,'lunch',$6,0,$6,'paid','',$7,$8,now(),"
                "false,false,0,'',now())",
                terminal_id,
                txn,
                canteen_id,
                card["person_id"],
                card["uid"],
                PRICE,
                answer,
                transfer_id,
            )
        return True

    result = await closed_loop(TERMINALS, SECONDS / 2, one)
    await pool.close()
    return (result.count - result.errors) / result.elapsed


async def main() -> int:
    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_canteen") as db_url:
        env = server_env(db_url, WORKERS)
        terminals, uids = await prepare(env)
        async with running_server(env) as base:
            stamps = await device_stamps(base, *terminals[0])

            async def one(http, index: int, n: int) -> bool:
                code, secret = terminals[index % len(terminals)]
                body = json.dumps({"txn_no": f"{code}-{n}", "card_uid": uids[(index * 7919 + n) % len(uids)]}).encode()
                headers = signature_headers(
                    code, secret, "POST", "/device/v1/canteen/pay", "", body, timestamp=stamps.stamp()
                )
                headers["Content-Type"] = "application/json"
                async with http.post(f"{base}/device/v1/canteen/pay", data=body, headers=headers) as response:
                    await response.read()
                    return response.status == 200

            result = await closed_loop(TERMINALS, SECONDS, one, connect_path=f"{base}/health")
        violations = await check_invariants(env, result.count - result.errors)
        print(result.line("canteen_pay", invariant_violations=violations), flush=True)
        ceiling = await raw_sql_ceiling(db_url, uids)
        print(f"canteen_pay_raw_sql: tx_per_s={ceiling:.0f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
