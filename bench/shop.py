"""Benchmark of the produce shop's flash sale (`make bench-shop`), against PostgreSQL and Redis.

The weekly special has BENCH_STOCK units (50) and BENCH_BUYERS cadres (300), each with a
mini-program session made up front and cash in the wallet, and a keep-alive connection opened
one after another (each cadre opening their cart) before the clock starts. Then every cadre
orders one unit at the same instant over HTTP (`POST /mp/v1/shop/orders` against `houqin serve`
with BENCH_WORKERS workers) and, when the order is placed, pays it from the wallet
(`POST /mp/v1/shop/orders/<no>/pay`). An order's time runs from its post to its answer: 201
placed, or 409 refused because the special sold out (both are answers the sale should give);
anything else is an error. Afterwards the database is asked what was sold. The orders' rate runs
to the last order's answer; the payments' to the last payment's. Prints:
    shop_order: tx_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> oversold=<n> unsold_while_refused=<n>
        sold=<n> refused=<n> invariant_violations=<n>
    shop_pay: tx_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> paid=<n>
oversold counts units sold beyond the stock; unsold_while_refused counts the buyers refused for
stock while units were still left at the end. invariant_violations counts a stock below zero, a
stock that differs from the sum of its ledger, and placed answers without their order. When the
server has no payment route (the shop's payments not yet built), the second line says so instead.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
from datetime import timedelta

import aiohttp
import asyncpg

from bench.common import HOUQIN, LoadResult, require_services, running_server, server_env, throwaway_database

BUYERS = int(os.environ.get("BENCH_BUYERS", "300"))
STOCK = int(os.environ.get("BENCH_STOCK", "50"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
PRICE = 3900
START_CASH = 100_000


async def prepare(env: dict[str, str]) -> tuple[list[str], int]:
    """Cadres with sessions and cash, and this week's theme open with its special in stock;
    (session tokens, the special's SKU id)."""
    from backend.accounts.models import Person
    from backend.accounts.service import people as accounts
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.permissions import Scope
    from backend.core.timeutil import BUSINESS_TZ, now
    from backend.runtime import close_runtime, open_runtime
    from backend.shop.models import (
        Category,
        Cycle,
        CycleItem,
        OriginKind,
        Product,
        Sku,
        StockMove,
        StockReason,
        Supplier,
    )
    from backend.wallet.service import wallets

    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "CITY", "市机关事务管理局", None)
        roster = "工号,姓名,单位编码,人员类别,手机号\n" + "".join(
            f"S{i:05d},抢购{i},CITY,在编,135{i:08d}\n" for i in range(BUYERS)
        )
        await accounts.import_roster(
            CLI_ACTOR, runtime.cipher, Scope.EVERYTHING, "bench.csv", roster.encode(), dry_run=False
        )
        tokens = []
        for person in await Person.all().order_by("id"):
            await wallets.adjust(CLI_ACTOR, person.id, START_CASH, "压测充值", f"bench-shop-{person.id}")
            # A bound cadre's session, as the WeChat login would leave it.
            openid = f"o-bench-{person.id}"
            await Person.filter(id=person.id).update(wechat_openid=openid)
            tokens.append(
                await runtime.cadre_auth.sessions.issue(
                    {"person_id": person.id, "openid": openid, "session_key": "bench"}
                )
            )
        at = now()
        supplier = await Supplier.create(
            name="阿克苏红旗坡果业合作社", region="新疆阿克苏地区", origin_kind=OriginKind.PARTNER
        )
        product = await Product.create(
            name="阿克苏冰糖心苹果",
            supplier=supplier,
            category=Category.FRUIT,
            origin="新疆阿克苏地区",
            origin_kind=OriginKind.PARTNER,
        )
        special = await Sku.create(product=product, spec="尝鲜装 2.5 kg", price_fen=PRICE, stock=STOCK)
        await StockMove.create(sku=special, delta=STOCK, reason=StockReason.STOCK_IN, actor="压测", at=at)
        cycle = await Cycle.create(
            title="阿克苏周",
            region="新疆阿克苏地区",
            opens_at=at - timedelta(hours=1),
            closes_at=at + timedelta(days=3),
            pickup_days=[(at + timedelta(days=4)).astimezone(BUSINESS_TZ).date().isoformat()],
            pickup_place="行政中心一号食堂入口",
        )
        await CycleItem.create(cycle=cycle, sku=special, featured=True, position=1)
        return tokens, special.id
    finally:
        await close_runtime(runtime)


async def sold_and_violations(db_url: str, sku_id: int, placed: set[str]) -> tuple[int, int, int]:
    """(units sold in orders not cancelled, stock left, invariant violations)."""
    db = await asyncpg.connect(db_url)
    try:
        sold = await db.fetchval(
            "SELECT coalesce(sum(l.quantity), 0) FROM shop_order_line l JOIN shop_order o ON o.id = l.order_id "
            "WHERE l.sku_id = $1 AND o.state <> 'cancelled'",
            sku_id,
        )
        stock = await db.fetchval("SELECT stock FROM shop_sku WHERE id = $1", sku_id)
        ledger = await db.fetchval("SELECT coalesce(sum(delta), 0) FROM shop_stock_move WHERE sku_id = $1", sku_id)
        stored = {r["order_no"] for r in await db.fetch("SELECT order_no FROM shop_order")}
        return sold, stock, (stock < 0) + (stock != ledger) + len(placed - stored)
    finally:
        await db.close()


async def flash_sale(base: str, tokens: list[str], sku_id: int):
    """Every buyer orders at once, then pays what they got; the order and pay figures."""
    order_times: list[float] = []
    pay_times: list[float] = []
    outcome = {"sold": 0, "refused": 0, "order_errors": 0, "paid": 0, "pay_errors": 0, "pay_missing": 0}
    unexpected: dict[str, int] = {}
    placed: set[str] = set()
    connected = asyncio.Event()
    go = asyncio.Event()
    ready = 0
    last_order_answer = 0.0

    def note(what: str) -> None:
        unexpected[what] = unexpected.get(what, 0) + 1

    async def buyer(http: aiohttp.ClientSession, index: int) -> None:
        nonlocal ready, last_order_answer
        headers = {"Authorization": f"Bearer {tokens[index]}"}
        await asyncio.sleep(index * 0.01)
        # Each cadre has the shop open before the sale starts (their cart), which also brings the
        # server's database connections up. The answer is held unread until every buyer is
        # connected, so each one opens a connection of its own.
        async with http.get(f"{base}/mp/v1/shop/cart", headers=headers) as response:
            ready += 1
            if ready == len(tokens):
                connected.set()
            await connected.wait()
            await response.read()
        await go.wait()
        body = {"client_ref": secrets.token_hex(8), "lines": [{"sku_id": sku_id, "quantity": 1}]}
        started = time.perf_counter()
        async with http.post(f"{base}/mp/v1/shop/orders", json=body, headers=headers) as response:
            answer = await response.json()
            last_order_answer = time.perf_counter()
            order_times.append(last_order_answer - started)
        code = answer.get("error", {}).get("code", "")
        if response.status == 409 and code == "shop.stock_short":
            outcome["refused"] += 1
            return
        if response.status != 201:
            outcome["order_errors"] += 1
            note(f"order {response.status} {code}")
            return
        outcome["sold"] += 1
        placed.add(answer["order_no"])
        started = time.perf_counter()
        async with http.post(
            f"{base}/mp/v1/shop/orders/{answer['order_no']}/pay", json={"method": "wallet"}, headers=headers
        ) as response:
            paid = await response.json()
            pay_times.append(time.perf_counter() - started)
        code = paid.get("error", {}).get("code", "") if isinstance(paid, dict) else ""
        if response.status in (200, 201):
            outcome["paid"] += 1
        elif response.status in (404, 405) and code.startswith("common."):
            outcome["pay_missing"] += 1  # the server has no payment route
        else:
            outcome["pay_errors"] += 1
            note(f"pay {response.status} {code}")

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=len(tokens))) as http:
        async with http.get(f"{base}/ready") as response:
            if response.status != 200:
                raise SystemExit(f"the server is not ready: HTTP {response.status}")
        buyers = [asyncio.create_task(buyer(http, i)) for i in range(len(tokens))]
        await asyncio.wait_for(connected.wait(), timeout=60 + len(tokens) * 0.05)
        began = time.perf_counter()
        go.set()
        await asyncio.gather(*buyers)
        elapsed = time.perf_counter() - began
    orders = LoadResult(len(order_times), outcome["order_errors"], last_order_answer - began, order_times)
    pays = LoadResult(len(pay_times), outcome["pay_errors"] + outcome["pay_missing"], elapsed, pay_times)
    return orders, pays, outcome, placed, unexpected


async def main() -> int:
    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_shop") as db_url:
        env = server_env(db_url, WORKERS)
        tokens, sku_id = await prepare(env)
        async with running_server(env) as base:
            orders, pays, outcome, placed, unexpected = await flash_sale(base, tokens, sku_id)
        sold, left, violations = await sold_and_violations(db_url, sku_id, placed)
        print(
            orders.line(
                "shop_order",
                oversold=max(0, sold - STOCK),
                unsold_while_refused=outcome["refused"] if left > 0 else 0,
                sold=sold,
                refused=outcome["refused"],
                invariant_violations=violations,
            ),
            flush=True,
        )
        if outcome["pay_missing"]:
            print("shop_pay: skipped (the server has no POST /mp/v1/shop/orders/<no>/pay route)", flush=True)
        elif pays.count:
            print(pays.line("shop_pay", paid=outcome["paid"]), flush=True)
        if unexpected:
            print(f"shop_errors: {unexpected}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
