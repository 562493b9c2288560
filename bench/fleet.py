"""Benchmark of dispatching official cars (`make bench-fleet`), against PostgreSQL and Redis.

A city's fleet: BENCH_VEHICLES cars (1,000), as many drivers, and a month of trips around today
(two a day for every car, 08:00–10:00 and 14:00–16:00), written straight into the tables. Then
BENCH_CLIENTS dispatchers dispatch concurrently for BENCH_SECONDS against `houqin serve`, through
the admin API (`POST /admin/v1/fleet/requests/<id>/dispatch`, a dispatch client's way) or with
BENCH_VIA=console by posting the console's dispatch form (whose refusal re-renders the request's
page with its suggestions over the whole fleet), each taking the next approved request: each
goes into the free midday slot of a car and its driver, and every tenth deliberately into the
same car and driver as the one before it, half an hour later, so the two collide and one of them
must be refused. A dispatch's time runs from the post to its answer (201 or 409 from the API; the
redirect, or the refusal shown on the request's page, from the console).
Afterwards the trips are checked by a self-join for two live trips of one car or one driver that
overlap (with their buffers), and the dispatch board of today (50 of the 1,000 cars, a page) is
fetched by the logged-in admin BENCH_ROUNDS times. Prints:
    fleet_dispatch: tx_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> via=<api|console> dispatched=<n> refused=<n>
        double_bookings=<n>
    fleet_board: first_response_ms=<p50> p95_ms=<n> vehicles=<n> trips=<n>
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import statistics
import subprocess
import time
from datetime import timedelta

import aiohttp
import asyncpg

from bench.common import HOUQIN, closed_loop, require_services, running_server, server_env, throwaway_database

VEHICLES = int(os.environ.get("BENCH_VEHICLES", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
# A city fleet centre's dispatch desk: eight dispatchers at once (BENCH_CLIENTS for more).
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "9000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
VIA = os.environ.get("BENCH_VIA", "api")
PASSWORD = "Bench-Passw0rd!"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
ALERT = re.compile(r'role="alert">([^<]+)<')
DAYS_AHEAD = 14  # the dispatches go into the free middays of the month's coming fortnight
COLLIDE_EVERY = 10

DOUBLE_BOOKINGS = """
    SELECT count(*) FROM fleet_trip a JOIN fleet_trip b
      ON a.id < b.id AND a.state <> 'cancelled' AND b.state <> 'cancelled'
     AND a.planned_start < b.blocked_until AND b.planned_start < a.blocked_until
     AND ({same})
"""


async def prepare(env: dict[str, str]) -> list[tuple[int, int, int]]:
    """The fleet, a month of trips, the approved requests to dispatch and a super admin; the
    requests as (request id, vehicle id, driver id) in the order the dispatchers take them."""
    from backend.accounts.service import people as accounts
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.permissions import Scope
    from backend.core.timeutil import day_start, today
    from backend.demo import create_superadmin
    from backend.runtime import close_runtime, open_runtime

    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "CITY", "市机关事务管理局", None)
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "FLEET", "公务用车服务中心", "CITY")
        roster = "工号,姓名,单位编码,人员类别,手机号\nR00001,申请人,CITY,在编,13700000000\n" + "".join(
            f"DR{i:05d},驾驶员{i},FLEET,在编,136{i:08d}\n" for i in range(VEHICLES)
        )
        await accounts.import_roster(
            CLI_ACTOR, runtime.cipher, Scope.EVERYTHING, "bench.csv", roster.encode(), dry_run=False
        )
        await create_superadmin("bench", "压测调度员", PASSWORD)
        midnight = day_start(today())
    finally:
        await close_runtime(runtime)
    db = await asyncpg.connect(env["DATABASE_URL"])
    try:
        requester, unit = await db.fetchrow("SELECT id, unit_id FROM accounts_person WHERE employee_no = 'R00001'")
        await db.execute(
            """
            INSERT INTO fleet_vehicle (plate, vehicle_type, seats, new_energy, base_name, base_lat, base_lng, status,
                on_duty, odometer_km, inspection_due, insurance_due, service_interval_km, last_service_km, note,
                created_at)
            SELECT '浙A' || lpad(g::text, 5, '0'), 'sedan', 5, g % 4 = 0, '车管中心', 30.2 + (g % 50) * 0.002,
                   120.2 + (g / 50) * 0.002, 'in_use', false, 0, '2030-01-01', '2030-01-01', 10000, 0, '', now()
            FROM generate_series(0, $1 - 1) g
            """,
            VEHICLES,
        )
        await db.execute(
            """
            INSERT INTO fleet_driver (person_id, licence_class, licence_expires, is_active, created_at)
            SELECT id, 'C1', '2030-01-01', true, now() FROM accounts_person WHERE employee_no LIKE 'DR%' ORDER BY id
            """
        )
        vehicle_ids = [r["id"] for r in await db.fetch("SELECT id FROM fleet_vehicle ORDER BY id")]
        driver_ids = [r["id"] for r in await db.fetch("SELECT id FROM fleet_driver ORDER BY id")]

        async def requests(rows: list[tuple[str, object, object, str]]) -> list[int]:
            """Requests of (client_ref, start, end, state), their ids in the same order."""
            ids = await db.fetch(
                """
                INSERT INTO fleet_request (requester_id, unit_id, client_ref, purpose, reason, passengers, pickup,
                    destination, outside_city, starts_at, ends_at, return_trip, estimated_km, emergency, state,
                    refusal_reason, created_at, approved_at, rating_comment)
                SELECT $1, $2, r.ref, 'general', '例行公务', 2, '市民中心', '市政府', false, r.starts_at, r.ends_at,
                       false, 20, false, r.state, '', now(), now(), ''
                FROM unnest($3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[])
                     WITH ORDINALITY AS r(ref, starts_at, ends_at, state, n)
                ORDER BY r.n
                RETURNING id
                """,
                requester,
                unit,
                *map(list, zip(*rows, strict=True)),
            )
            return [r["id"] for r in ids]

        # The month: every car with its own driver, 08:00–10:00 and 14:00–16:00, fifteen days back
        # and fourteen ahead.
        month = [
            (v, midnight + timedelta(days=d, hours=hour))
            for d in range(-15, DAYS_AHEAD + 1)
            for hour in (8, 14)
            for v in range(VEHICLES)
        ]
        held = await requests(
            [(f"seed-{i}", start, start + timedelta(hours=2), "dispatched") for i, (_, start) in enumerate(month)]
        )
        await db.execute(
            """
            INSERT INTO fleet_trip (request_id, vehicle_id, driver_id, planned_start, planned_end, blocked_until, state,
                dispatch_key, dispatched_at, rental_plate, toll_fen, parking_fen, fuel_fen, overtime_fen)
            SELECT r.id, t.vehicle_id, t.driver_id, r.starts_at, r.ends_at, r.ends_at + interval '15 minutes',
                   CASE WHEN r.ends_at < now() THEN 'finished' ELSE 'assigned' END, 'seed-' || r.id, now(), '',
                   0, 0, 0, 0
            FROM unnest($1::int[], $2::int[], $3::int[]) AS t(request_id, vehicle_id, driver_id)
            JOIN fleet_request r ON r.id = t.request_id
            """,
            held,
            [vehicle_ids[v] for v, _ in month],
            [driver_ids[v] for v, _ in month],
        )
        # The requests to dispatch: the free midday (11:00–13:00, held to 13:15) of a car and its
        # driver on one of the coming days; every tenth half an hour after the one before it, on
        # the same car and driver.
        slots = itertools.count()
        plan = []
        for k in range(REQUESTS):
            if k % COLLIDE_EVERY == COLLIDE_EVERY - 1:
                slot, shift = plan[-1][0], timedelta(minutes=30)
            else:
                slot, shift = next(slots), timedelta()
            plan.append((slot, shift))
        if plan[-1][0] >= VEHICLES * DAYS_AHEAD:
            raise SystemExit(f"BENCH_REQUESTS={REQUESTS} wants more free middays than {VEHICLES} cars have")
        rows = []
        for k, (slot, shift) in enumerate(plan):
            start = midnight + timedelta(days=1 + slot // VEHICLES, hours=11) + shift
            rows.append((f"bench-{k}", start, start + timedelta(hours=2), "approved"))
        ids = await requests(rows)
        await db.execute("ANALYZE")
        return [
            (request_id, vehicle_ids[slot % VEHICLES], driver_ids[slot % VEHICLES])
            for request_id, (slot, _) in zip(ids, plan, strict=True)
        ]
    finally:
        await db.close()


async def console_session(http: aiohttp.ClientSession, base: str) -> str:
    """Log the bench admin in; the session's CSRF token."""
    async with http.get(f"{base}/console/login") as form:
        csrf = CSRF_FIELD.search(await form.text()).group(1)
    async with http.post(
        f"{base}/console/login",
        data={"csrf_token": csrf, "username": "bench", "password": PASSWORD},
        allow_redirects=False,
    ) as login:
        assert login.status == 302, await login.text()
    async with http.get(f"{base}/console/fleet/requests") as page:
        return CSRF_FIELD.search(await page.text()).group(1)


async def api_token(http: aiohttp.ClientSession, base: str) -> str:
    async with http.post(f"{base}/admin/v1/auth/login", json={"username": "bench", "password": PASSWORD}) as login:
        assert login.status == 200, await login.text()
        return (await login.json())["token"]


async def double_bookings(db_url: str) -> tuple[int, int]:
    """(pairs of live trips of one car or one driver that overlap, live trips in all)."""
    db = await asyncpg.connect(db_url)
    try:
        cars = await db.fetchval(DOUBLE_BOOKINGS.format(same="a.vehicle_id = b.vehicle_id"))
        drivers = await db.fetchval(DOUBLE_BOOKINGS.format(same="a.driver_id = b.driver_id"))
        live = await db.fetchval("SELECT count(*) FROM fleet_trip WHERE state <> 'cancelled'")
        return cars + drivers, live
    finally:
        await db.close()


async def main() -> int:
    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_fleet") as db_url:
        env = server_env(db_url, WORKERS)
        started = time.perf_counter()
        plan = await prepare(env)
        print(f"fleet_data: vehicles={VEHICLES} prepared_s={time.perf_counter() - started:.0f}", flush=True)
        queue = iter(plan)
        outcomes = {"dispatched": 0, "refused": 0}
        unexpected: dict[str, int] = {}  # "<status> <what the page said>" -> count, of any other answer
        async with running_server(env) as base:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as login:
                csrf = await console_session(login, base)
                # Sent as they are with every dispatcher's post (closed_loop's client has no jar of its own).
                cookies = {cookie.key: cookie.value for cookie in login.cookie_jar}
                token = await api_token(login, base)

            async def one(http: aiohttp.ClientSession, index: int, n: int) -> bool:
                taken = next(queue, None)
                if taken is None:
                    raise SystemExit(
                        f"every request was taken before the time was up ({outcomes}): raise BENCH_REQUESTS"
                    )
                request_id, vehicle_id, driver_id = taken
                if VIA == "api":
                    async with http.post(
                        f"{base}/admin/v1/fleet/requests/{request_id}/dispatch",
                        json={"vehicle_id": vehicle_id, "driver_id": driver_id},
                        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(12)},
                    ) as response:
                        answer = await response.json()
                        if response.status == 201:
                            outcomes["dispatched"] += 1
                            return True
                        code = answer.get("error", {}).get("code", "")
                        if response.status == 409 and code in ("fleet.vehicle_busy", "fleet.driver_busy"):
                            outcomes["refused"] += 1
                            return True
                        unexpected[f"{response.status} {code}"] = unexpected.get(f"{response.status} {code}", 0) + 1
                        return False
                form = {
                    "csrf_token": csrf,
                    "mode": "fleet",
                    "vehicle_id": str(vehicle_id),
                    "driver_id": str(driver_id),
                    "idempotency_key": secrets.token_urlsafe(18),
                }
                async with http.post(
                    f"{base}/console/fleet/requests/{request_id}/dispatch",
                    data=form,
                    cookies=cookies,
                    allow_redirects=False,
                ) as response:
                    body = await response.text()
                    if response.status == 302 and "done=dispatched" in response.headers.get("location", ""):
                        outcomes["dispatched"] += 1
                        return True
                    if response.status == 422 and "已有行程" in body:
                        outcomes["refused"] += 1
                        return True
                    said = ALERT.search(body)
                    answer = f"{response.status} {said.group(1) if said else ''}".strip()
                    unexpected[answer] = unexpected.get(answer, 0) + 1
                    return False

            result = await closed_loop(CLIENTS, SECONDS, one, connect_path=f"{base}/health")
            overlaps, live = await double_bookings(db_url)
            print(result.line("fleet_dispatch", via=VIA, **outcomes, double_bookings=overlaps), flush=True)
            if unexpected:
                print(f"fleet_dispatch_errors: {unexpected}", flush=True)

            timings = []
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                await console_session(http, base)
                for round_ in range(ROUNDS + 3):
                    began = time.perf_counter()
                    async with http.get(f"{base}/console/fleet/board", allow_redirects=False) as response:
                        await response.read()
                        if response.status != 200:
                            raise SystemExit(f"/console/fleet/board: HTTP {response.status}")
                    if round_ >= 3:  # the first requests warm the worker's caches and pools
                        timings.append((time.perf_counter() - began) * 1000)
            p95 = statistics.quantiles(timings, n=20)[18]
            print(
                f"fleet_board: first_response_ms={statistics.median(timings):.0f} p95_ms={p95:.0f} "
                f"vehicles={VEHICLES} trips={live}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
