"""Benchmark of energy (`make bench-energy`), against PostgreSQL.

A throwaway database gets a city bureau with BENCH_UNITS agencies (26), each with BENCH_PEOPLE
在编 people (20) and an office of its own, a quota for every kind, and BENCH_METERS meters
(2,000: six in ten electricity, two water, one gas, one heat), each billing to an agency, one in
fifty shared by area among three. Then BENCH_DAYS days (90) of 15-minute readings up to now,
every meter every slot, are ingested through `readings.ingest` in batches of BENCH_BATCH rows
(20,000) and folded into rollups by `derive.derive` after each day's readings, as a collector
that fell a day behind would (`ingest_rows_per_s`: the rows ÷ the seconds spent in ingest and
derive; building the rows is not timed). Then this month's budgets are made, and
`budgets.budget_status` for every unit (26 units × 4 kinds, one call) and `indicators.trend`
for 12 months (the whole estate, and one agency with its share of shared meters) are each run
BENCH_RUNS times (7) after one warm-up: their medians (`trend_ms`: the slower of the two).
Prints:
    energy: ingest_rows_per_s=<n> budget_status_ms=<ms> trend_ms=<ms>
Targets (issue 18): ingest ≥ 20,000 rows/s, budget status ≤ 200 ms, trend ≤ 200 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta

from bench.common import HOUQIN, require_services, server_env, throwaway_database

UNITS = int(os.environ.get("BENCH_UNITS", "26"))
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "20"))
METERS = int(os.environ.get("BENCH_METERS", "2000"))
DAYS = int(os.environ.get("BENCH_DAYS", "90"))
BATCH = int(os.environ.get("BENCH_BATCH", "20000"))
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SLOT = timedelta(minutes=15)
# Meters come in tens, each ten billing to one agency (in turn): the kind of meter i by i % 10,
# and its usual use per 15 minutes in thousandths (Wh, litres, MJ).
KIND_BY_TENTH = ("electricity",) * 6 + ("water",) * 2 + ("gas", "heat")
USUAL_USE = {"electricity": (500, 5000), "water": (20, 400), "gas": (50, 800), "heat": (2000, 20000)}
QUOTAS = {"electricity": ("300", "2"), "water": ("5", ""), "gas": ("10", ""), "heat": ("2", "")}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def prepare(env: dict[str, str]) -> tuple[list[int], list[tuple[int, str]]]:
    """The units, roster, offices, quotas and meters; (agency ids, (meter id, kind) of each meter)."""
    from backend.accounts.service import people as accounts
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.crypto import FieldCipher
    from backend.core.permissions import Scope
    from backend.core.timeutil import today
    from backend.energy.models import Apportion, Meter, MeterKind, MeterShare
    from backend.energy.service import quotas
    from backend.places import service as places

    await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "CITY", "市机关事务管理局", None)
    codes = [f"U{i:02d}" for i in range(UNITS)]
    for code in codes:
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, code, f"单位{code}", "CITY")
    roster = "工号,姓名,单位编码,人员类别,手机号\n" + "".join(
        f"E{i:05d},干部{i},{codes[i % UNITS]},在编,137{i:08d}\n" for i in range(UNITS * PEOPLE)
    )
    cipher = FieldCipher(Settings.from_env(env).data_key)
    await accounts.import_roster(CLI_ACTOR, cipher, Scope.EVERYTHING, "bench.csv", roster.encode(), dry_run=False)
    units = {u["code"]: u["id"] for u in await accounts.list_units(Scope.EVERYTHING)}
    agencies = [units[code] for code in codes]
    building = await places.create_place(CLI_ACTOR, "行政中心", None)
    floor = await places.create_place(CLI_ACTOR, "1层", building["id"])
    rooms = []
    for i, unit_id in enumerate(agencies):
        room = await places.create_place(CLI_ACTOR, f"{101 + i}", floor["id"])
        area = 200_00 + 10_00 * i
        await places.set_room_facts(None, CLI_ACTOR, room["id"], area, area, places.RoomUse.OFFICE, unit_id)
        rooms.append(room["id"])
    since = (today() - timedelta(days=DAYS + 31)).replace(day=1)
    # Quotas apply from this month on (past months' quotas cannot be set); only this month's
    # budgets are measured.
    for kind, (per_person, per_m2) in QUOTAS.items():
        await quotas.set_quota(CLI_ACTOR, MeterKind(kind), today().replace(day=1), per_person, per_m2)
    shared = set(range(0, METERS, 50))
    meters = [
        Meter(
            code=f"M{i:05d}",
            name=f"表{i:05d}",
            kind=MeterKind(KIND_BY_TENTH[i % 10]),
            place_id=floor["id"] if i in shared else rooms[i // 10 % UNITS],
            unit_id=None if i in shared else agencies[i // 10 % UNITS],
            apportion=Apportion.AREA if i in shared else Apportion.NONE,
            installed_on=since,
        )
        for i in range(METERS)
    ]
    await Meter.bulk_create(meters, batch_size=1000)
    made = await Meter.all().order_by("id").values_list("id", "code", "kind")
    await MeterShare.bulk_create(
        [
            MeterShare(meter_id=meter_id, unit_id=agencies[(int(code[1:]) + k) % UNITS])
            for meter_id, code, _ in made
            if int(code[1:]) in shared
            for k in range(3)
        ]
    )
    return agencies, [(meter_id, kind) for meter_id, _, kind in made]


def day_of_readings(meters, registers: dict[int, int], loads: dict[int, int], first_slot: datetime, until: datetime):
    """One day of readings from `first_slot` (every meter, every slot not after `until`); the
    registers advance by each meter's usual use, more in office hours."""
    from backend.energy.service.readings import ReadingIn

    rows = []
    for n in range(96):
        slot_at = first_slot + n * SLOT
        if slot_at > until:
            break
        busy = 3 if 8 <= slot_at.hour < 18 else 1
        for meter_id, _ in meters:
            registers[meter_id] += loads[meter_id] * busy
            rows.append(ReadingIn(meter_id, slot_at, slot_at + timedelta(seconds=7), registers[meter_id]))
    return rows


async def ingest_rate(meters) -> float:
    """Rows per second through ingest and derive."""
    from backend.core.timeutil import BUSINESS_TZ, now
    from backend.energy.config import EnergySettings
    from backend.energy.service import derive, readings

    settings = EnergySettings.from_env(os.environ)
    rng = random.Random(18)
    registers = {meter_id: rng.randrange(10**6, 10**9) for meter_id, _ in meters}
    loads = {meter_id: rng.randint(*USUAL_USE[kind]) for meter_id, kind in meters}
    until = now()
    midnight = until.astimezone(BUSINESS_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    storing = folding = 0.0
    total = 0
    for day in range(DAYS, -1, -1):
        rows = day_of_readings(meters, registers, loads, midnight - timedelta(days=day), until)
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            await readings.ingest(rows[start : start + BATCH])
        stored = time.perf_counter()
        await derive.derive(None, settings)
        storing += stored - started
        folding += time.perf_counter() - stored
        total += len(rows)
        if day % 10 == 0:
            say(
                f"energy: {total} readings so far, {total / (storing + folding):.0f} rows/s "
                f"(ingest {storing:.0f} s, derive {folding:.0f} s)"
            )
    return total / (storing + folding)


async def median_ms(call) -> float:
    await call()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def main() -> int:
    from tortoise import connections

    from backend.core.config import Settings
    from backend.core.timeutil import add_months
    from backend.energy.service import budgets, indicators
    from backend.runtime import close_runtime, open_runtime

    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_energy") as db_url:
        env = server_env(db_url, "1")
        subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
        runtime = await open_runtime(Settings.from_env(env))
        try:
            agencies, meters = await prepare(env)
            say(f"energy: {len(agencies)} units, {len(meters)} meters; ingesting {DAYS} days of readings")
            rate = await ingest_rate(meters)
            # After a bulk load PostgreSQL's autovacuum analyses the tables before long; the
            # reports are measured as they run then, not on the planner's empty-table estimates.
            await connections.get("default").execute_script("ANALYZE")
            month = indicators.current_month()
            await budgets.ensure_month(month)
            status = await budgets.budget_status(month, None)
            assert status, "no budget was made"
            status_ms = await median_ms(lambda: budgets.budget_status(month, None))
            first = add_months(month, -11)
            estate = await indicators.trend(first, 12, None, None)
            assert sum(r["amounts"]["electricity"] for r in estate) > 0, estate
            estate_ms = await median_ms(lambda: indicators.trend(first, 12, None, None))
            unit_ms = await median_ms(lambda: indicators.trend(first, 12, agencies[0], None))
            say(f"energy: trend of the estate {estate_ms:.1f} ms, of one agency {unit_ms:.1f} ms")
            trend_ms = max(estate_ms, unit_ms)
        finally:
            await close_runtime(runtime)
    print(f"energy: ingest_rows_per_s={rate:.0f} budget_status_ms={status_ms:.1f} trend_ms={trend_ms:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
