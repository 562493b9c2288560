"""Console page speed at city-bureau scale: 10,000 people and 100,000 canteen payments in
PostgreSQL, then each page is fetched by a logged-in admin and its first response timed.

    DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-console

Prints `console_page: <page>=<p50 ms> ...` and the same pages' p95 on a second line. The
payments are written straight into their table (they are data for the pages to show, not
money to account for), everything else goes through the services.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import time
from datetime import time as clock

import aiohttp
import asyncpg

from bench.common import HOUQIN, require_services, running_server, server_env, throwaway_database

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "10000"))
PAYMENTS = int(os.environ.get("BENCH_PAYMENTS", "100000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
PASSWORD = "Bench-Passw0rd!"
UNITS = 40
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


async def prepare(env: dict[str, str]) -> None:
    from backend.accounts.models import DeviceKind
    from backend.accounts.service import devices
    from backend.accounts.service import people as accounts
    from backend.canteen.models import DinerCategory, TerminalMode
    from backend.canteen.service import canteens
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.permissions import Scope
    from backend.demo import create_superadmin
    from backend.runtime import close_runtime, open_runtime

    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "CITY", "市机关事务管理局", None)
        for u in range(UNITS):
            await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, f"U{u:02d}", f"第{u + 1}委办局", "CITY")
        roster = "工号,姓名,单位编码,人员类别,手机号\n" + "".join(
            f"P{i:05d},人员{i},U{i % UNITS:02d},在编,139{i:08d}\n" for i in range(PEOPLE)
        )
        await accounts.import_roster(
            CLI_ACTOR, runtime.cipher, Scope.EVERYTHING, "bench.csv", roster.encode(), dry_run=False
        )
        for code, name in (("ST1", "第一食堂"), ("ST2", "第二食堂"), ("ST3", "机关食堂")):
            await canteens.create_canteen(CLI_ACTOR, code, name, scope=Scope.EVERYTHING)
            for period, label, start, end in (
                ("breakfast", "早餐", 6, 9),
                ("lunch", "午餐", 11, 13),
                ("dinner", "晚餐", 17, 19),
            ):
                await canteens.set_period(
                    CLI_ACTOR,
                    code,
                    period,
                    label,
                    clock(start),
                    clock(end),
                    1,
                    {DinerCategory.STAFF: (1500, 1000)},
                    scope=Scope.EVERYTHING,
                )
            for t in range(4):
                device = f"{code}-T{t}"
                await devices.register_device(
                    CLI_ACTOR, runtime.cipher, device, f"{name}{t + 1}号机", DeviceKind.CANTEEN_TERMINAL, name
                )
                await canteens.bind_terminal(
                    CLI_ACTOR, code, device, TerminalMode.FIXED_PRICE, f"{t + 1}号机", scope=Scope.EVERYTHING
                )
        await create_superadmin("bench", "压测管理员", PASSWORD)
    finally:
        await close_runtime(runtime)
    connection = await asyncpg.connect(env["DATABASE_URL"])
    try:
        # Spread over the last 30 days with the newest tenth today, three meals a day.
        await connection.execute(
            """
            INSERT INTO canteen_payment (terminal_id, terminal_txn_no, canteen_id, person_id, card_uid, method,
                business_date, period_code, amount_fen, subsidy_fen, cash_fen, status, refusal_code, answer,
                paid_at, offline, lost_card_flag, overdraft_fen, refund_reason, created_at)
            SELECT t.id, 'B' || g, t.canteen_id, p.id, '', 'card',
                   (now() AT TIME ZONE 'Asia/Shanghai')::date - (CASE WHEN g % 10 = 0 THEN 0 ELSE g % 30 END),
                   (ARRAY['breakfast', 'lunch', 'dinner'])[1 + g % 3], 1500, 1000, 500, 'paid', '', '{}',
                   now(), false, false, 0, '', now()
            FROM generate_series(1, $1) AS g
            JOIN (SELECT id, canteen_id, row_number() OVER (ORDER BY id) - 1 AS n FROM canteen_terminal) t
              ON t.n = g % 12
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM accounts_person) p
              ON p.n = g % $2
        """,
            PAYMENTS,
            PEOPLE,
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


PAGES = {
    "dashboard": "/console/",
    "people": "/console/people",
    "people_search": "/console/people?q=人员77",
    "people_unit_sorted": "/console/people?unit=U07&sort=-name&page=5",
    "person": f"/console/people/{1 + PEOPLE // 2}",
    "units": "/console/units",
    "admins": "/console/admins",
    "devices": "/console/devices",
    "audit": "/console/audit",
    "audit_filtered": "/console/audit?action=accounts.import_person&page=100",
    "import": "/console/people/import",
}


async def main() -> int:
    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_console") as db_url:
        env = server_env(db_url, os.environ.get("BENCH_WORKERS", "2"))
        await prepare(env)
        async with (
            running_server(env) as base,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
        ):
            async with http.get(f"{base}/console/login") as form:
                csrf = CSRF_FIELD.search(await form.text()).group(1)
            async with http.post(
                f"{base}/console/login",
                data={"csrf_token": csrf, "username": "bench", "password": PASSWORD},
                allow_redirects=False,
            ) as login:
                assert login.status == 302, await login.text()
            p50, p95 = {}, {}
            for name, path in PAGES.items():
                timings = []
                for round_ in range(ROUNDS + 3):
                    started = time.perf_counter()
                    async with http.get(base + path, allow_redirects=False) as response:
                        await response.read()
                        if response.status != 200:
                            raise SystemExit(f"{path}: HTTP {response.status}")
                    if round_ >= 3:  # the first requests warm the worker's caches and pools
                        timings.append((time.perf_counter() - started) * 1000)
                cuts = statistics.quantiles(timings, n=20)
                p50[name], p95[name] = statistics.median(timings), cuts[18]
        print("console_page: " + " ".join(f"{k}={v:.0f}" for k, v in p50.items()), flush=True)
        print("console_page_p95: " + " ".join(f"{k}={v:.0f}" for k, v in p95.items()), flush=True)
        print(f"console_data: people={PEOPLE} payments={PAYMENTS} rounds={ROUNDS}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
