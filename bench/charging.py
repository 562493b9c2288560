"""Benchmark of the OCPP central system (`make bench-charging`), against PostgreSQL and Redis.

What runs: BENCH_PILES simulated piles (1,000; hardware.ocpp_pile, the `ocpp` package's
ChargePoint, in this one process) against `houqin serve` run as deployed with BENCH_WORKERS
workers (2). The piles connect one after another, BENCH_RAMP_MS apart (10 ms: a thousand in ten
seconds, as a carport's piles come back after a power cut), each with its own password over HTTP
Basic, and each sends BootNotification and StatusNotification. Once all of them are connected at
the same time, each pile's car arrives at a random moment within the first metering interval
(BENCH_METER_SECONDS, 10 s; cars arrive over time, they do not all plug in within the same
millisecond): it taps its own cadre's one-card (Authorize, StartTransaction), sends MeterValues
every BENCH_METER_SECONDS for BENCH_SESSION_SECONDS (60), Heartbeat at the interval the server
answered at boot, then StopTransaction, and disconnects. So all the piles are connected at once
and all the sessions overlap for at least 50 s. The sites have no power limit (the bench measures
the protocol and the billing, not the sharing of power).

What is measured: every CALL a pile makes (all of the above, from the first BootNotification to
the last StopTransaction), timed in the pile from its send to the server's answer; nothing else
(the WebSocket handshake is not a CALL). Then the database is asked what it kept. Prints:
    ocpp: piles=<n> connected=<n> msgs_per_s=<n> p99_ms=<n> billed_once=<n> lost=<n>
connected counts the piles connected at the same moment (all of them, or those connected when
the wait for the rest ran out); msgs_per_s the CALLs answered per second between the first send
and the last answer; p99_ms the 99th percentile of all the CALLs' round trips; billed_once counts
the sessions with exactly one bill, whose energy is what the pile metered and whose wallet
payment is one ledger transfer; lost counts the sessions the piles started but the server does
not have, the MeterValues it acknowledged but did not store, and the CALLs that got no answer.
Targets: connected = piles, p99 ≤ 100 ms, billed_once = piles, lost = 0. A second line gives the
p99 of each kind of CALL and of the piles' own event-loop lag (when that is high the client, not
the server, is the limit); a third when the slowest 1% of the CALLs were sent, per 10 s from the
first (a burst or a stall shows there). The piles and the server share the machine's cores."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import resource
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.common import (
    HOUQIN,
    median_and_p99_ms,
    require_services,
    running_server,
    server_env,
    throwaway_database,
)
from hardware.ocpp_pile import SimulatedPile, open_connection

PILES = int(os.environ.get("BENCH_PILES", "1000"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
RAMP_S = int(os.environ.get("BENCH_RAMP_MS", "10")) / 1000
METER_S = float(os.environ.get("BENCH_METER_SECONDS", "10"))
SESSION_S = float(os.environ.get("BENCH_SESSION_SECONDS", "60"))
HEARTBEAT_S = 30
PILES_PER_SITE = 50
START_CASH = 100_000
CONNECT_WAIT_S = 60 + PILES * RAMP_S


def card_uid(index: int) -> str:
    return f"B{index:07X}"


def box_id(index: int) -> str:
    return f"BENCH-{index:04d}"


def pile_password(index: int) -> str:
    return f"bench-{index:04d}-pile-password"


async def prepare(env: dict[str, str]) -> None:
    """Sites of PILES_PER_SITE piles each (no power limit: the bench measures the protocol, not
    the sharing of power), a tariff in force, and a cadre with cash and a one-card per pile."""
    from datetime import timedelta

    from backend.accounts.models import Person
    from backend.accounts.service import people as accounts
    from backend.charging.models import Pile, Site, Tariff
    from backend.charging.service import passwords
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.permissions import Scope
    from backend.core.timeutil import now
    from backend.runtime import close_runtime, open_runtime
    from backend.wallet.models import Card
    from backend.wallet.service import wallets

    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "CITY", "市机关事务管理局", None)
        roster = "工号,姓名,单位编码,人员类别,手机号\n" + "".join(
            f"C{i:05d},充电{i},CITY,在编,136{i:08d}\n" for i in range(PILES)
        )
        await accounts.import_roster(
            CLI_ACTOR, runtime.cipher, Scope.EVERYTHING, "bench.csv", roster.encode(), dry_run=False
        )
        cadres = await Person.all().order_by("id").values_list("id", flat=True)
        for first in range(0, len(cadres), 20):
            await asyncio.gather(
                *(
                    wallets.adjust(CLI_ACTOR, person_id, START_CASH, "压测充值", f"bench-charging-{person_id}")
                    for person_id in cadres[first : first + 20]
                )
            )
        await Card.bulk_create([Card(uid=card_uid(i), person_id=person_id) for i, person_id in enumerate(cadres)])
        await Tariff.create(
            name="压测电价",
            effective_from=now() - timedelta(days=1),
            service_fee_fen_per_kwh=50,
            seasons=[
                {
                    "name": "全年",
                    "months": list(range(1, 13)),
                    "prices": {"peak": 98, "flat": 64, "valley": 31},
                    "periods": [
                        {"from": "00:00", "to": "08:00", "band": "valley"},
                        {"from": "08:00", "to": "11:00", "band": "peak"},
                        {"from": "11:00", "to": "17:00", "band": "flat"},
                        {"from": "17:00", "to": "22:00", "band": "peak"},
                        {"from": "22:00", "to": "24:00", "band": "valley"},
                    ],
                }
            ],
        )
        for first in range(0, PILES, PILES_PER_SITE):
            site = await Site.create(name=f"压测车棚 {first // PILES_PER_SITE + 1}")
            await Pile.bulk_create(
                [
                    Pile(
                        site_id=site.id,
                        box_id=box_id(i),
                        name=f"{i} 号桩",
                        password_hash=passwords.digest(pile_password(i)),
                        connectors=1,
                    )
                    for i in range(first, min(first + PILES_PER_SITE, PILES))
                ]
            )
    finally:
        await close_runtime(runtime)


@dataclass
class Tally:
    """What the piles saw: each CALL's round trip, the CALLs that got no answer, and per pile the
    transaction the server gave, the MeterValues it acknowledged and the energy metered."""

    latencies: list[float] = field(default_factory=list)
    by_action: dict[str, list[float]] = field(default_factory=dict)
    unanswered: int = 0
    connected: int = 0  # piles booted so far
    open_now: int = 0
    peak: int = 0  # the most connections open at once
    failed_to_connect: int = 0
    first_sent: float = 0.0
    last_answer: float = 0.0
    sessions: dict[int, tuple[int, int]] = field(default_factory=dict)  # transaction id: (meters acked, Wh)
    refused_starts: int = 0
    lag: list[float] = field(default_factory=list)  # how late this process's event loop woke up
    sent_at: list[float] = field(default_factory=list)  # when each timed CALL was sent, beside latencies


async def watch_lag(tally: Tally) -> None:
    """Sample how late the piles' own event loop runs: when it is late, every latency measured
    here is inflated by as much, and the figures are the client's, not the server's."""
    loop = asyncio.get_running_loop()
    while True:
        planned = loop.time() + 0.1
        await asyncio.sleep(0.1)
        tally.lag.append(max(0.0, loop.time() - planned))


class TimedPile(SimulatedPile):
    """The simulator with every CALL timed and every unanswered one counted."""

    def __init__(self, box: str, connection: Any, tally: Tally) -> None:
        super().__init__(box, connection, connectors=1, power_w=7000)
        self.tally = tally
        self.meters_acked = 0

    async def send(self, payload: Any) -> Any:
        started = time.perf_counter()
        self.tally.first_sent = self.tally.first_sent or started
        try:
            # The piles skip validating their own frames against the OCPP schemas (a pile's
            # firmware does not run jsonschema): a thousand of them in this one process would
            # otherwise time their own CPU, not the server's. The server validates every frame.
            answer = await self.call(payload, suppress=False, skip_schema_validation=True)
        except Exception:
            self.tally.unanswered += 1
            raise
        self.tally.last_answer = time.perf_counter()
        self.tally.latencies.append(self.tally.last_answer - started)
        self.tally.sent_at.append(started)
        action = type(payload).__name__
        self.tally.by_action.setdefault(action, []).append(self.tally.last_answer - started)
        if action == "MeterValues":
            self.meters_acked += 1
        return answer


async def one_pile(url: str, index: int, tally: Tally, everyone: asyncio.Event) -> None:
    await asyncio.sleep(index * RAMP_S)
    box = box_id(index)
    connection = None
    for attempt in range(3):
        with contextlib.suppress(Exception):
            connection = await open_connection(url, box, pile_password(index))
            break
        await asyncio.sleep(1 + attempt)
    if connection is None:
        tally.failed_to_connect += 1
        return
    pile = TimedPile(box, connection, tally)
    reader = asyncio.create_task(pile.start())
    tally.open_now += 1
    tally.peak = max(tally.peak, tally.open_now)
    try:
        await pile.boot()
        await pile.status(1, "Available")
        tally.connected += 1
        if tally.connected == PILES:
            everyone.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(everyone.wait(), CONNECT_WAIT_S)
        # Spread the sessions over one metering interval, as cars arrive.
        await asyncio.sleep(random.uniform(0, METER_S))
        transaction = await pile.tap(card_uid(index))
        if transaction is None or transaction.id is None:
            tally.refused_starts += 1
            return
        metered, since_heartbeat = 0.0, 0.0
        while metered < SESSION_S:
            await asyncio.sleep(METER_S)
            metered += METER_S
            since_heartbeat += METER_S
            await pile.meter(1, METER_S)
            if since_heartbeat >= pile.heartbeat_s:
                since_heartbeat = 0.0
                await pile.heartbeat()
        energy = pile.plugs[1].register_wh - transaction.meter_start
        await pile.stop(1)
        # Queued (unsent) transaction messages never reached the server: unanswered too.
        tally.unanswered += len(pile.offline.queue)
        tally.sessions[transaction.id] = (pile.meters_acked, energy)
    except Exception:
        tally.unanswered += len(pile.offline.queue)
    finally:
        tally.open_now -= 1
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader
        with contextlib.suppress(Exception):
            await connection.close()


async def what_was_kept(db_url: str, tally: Tally) -> tuple[int, int]:
    """(sessions billed exactly once as metered, messages and sessions lost), once every session
    the piles stopped has its bill or 30 s have passed."""
    db = await asyncpg.connect(db_url)
    try:
        ids = list(tally.sessions)
        for _ in range(60):
            billed = await db.fetchval("SELECT count(*) FROM charging_bill WHERE session_id = ANY($1)", ids)
            if billed == len(ids):
                break
            await asyncio.sleep(0.5)
        stored = {
            r["id"]: r
            for r in await db.fetch(
                "SELECT id, state, meter_start_wh, meter_stop_wh FROM charging_session WHERE id = ANY($1)", ids
            )
        }
        bills = {
            r["session_id"]: r
            for r in await db.fetch(
                "SELECT session_id, count(*) OVER (PARTITION BY session_id) AS n, energy_wh, paid_fen "
                "FROM charging_bill WHERE session_id = ANY($1)",
                ids,
            )
        }
        payments = {
            r["reference"]: r["n"]
            for r in await db.fetch(
                "SELECT reference, count(*) AS n FROM wallet_transfer WHERE reference = ANY($1) GROUP BY reference",
                [f"charging:{i}" for i in ids],
            )
        }
        meters = {
            r["session_id"]: r["n"]
            for r in await db.fetch(
                "SELECT session_id, count(*) AS n FROM charging_meter_value WHERE session_id = ANY($1) "
                "GROUP BY session_id",
                ids,
            )
        }
    finally:
        await db.close()
    billed_once = 0
    lost = tally.unanswered
    for transaction_id, (acked, energy) in tally.sessions.items():
        if transaction_id not in stored:
            lost += 1 + acked
            continue
        lost += max(0, acked - meters.get(transaction_id, 0))
        bill = bills.get(transaction_id)
        paid_once = payments.get(f"charging:{transaction_id}", 0) == (1 if bill and bill["paid_fen"] > 0 else 0)
        if bill is not None and bill["n"] == 1 and bill["energy_wh"] == energy and paid_once:
            billed_once += 1
    return billed_once, lost


async def main() -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The piles' sockets here and the server's (it inherits this limit) are two per pile.
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_charging") as db_url:
        env = {**server_env(db_url, WORKERS), "CHARGING_HEARTBEAT_SECONDS": str(HEARTBEAT_S)}
        await prepare(env)
        tally = Tally()
        everyone = asyncio.Event()
        async with running_server(env) as base:
            url = base.replace("http://", "ws://") + "/ocpp"
            watcher = asyncio.create_task(watch_lag(tally))
            await asyncio.gather(*(one_pile(url, i, tally, everyone) for i in range(PILES)))
            watcher.cancel()
        billed_once, lost = await what_was_kept(db_url, tally)
        _, p99 = median_and_p99_ms(tally.latencies)
        elapsed = max(tally.last_answer - tally.first_sent, 1e-9)
        print(
            f"ocpp: piles={PILES} connected={tally.peak} msgs_per_s={len(tally.latencies) / elapsed:.0f} "
            f"p99_ms={p99:.1f} billed_once={billed_once} lost={lost}",
            flush=True,
        )
        # Where the time goes when p99 misses its target.
        slowest = {a: f"{median_and_p99_ms(t)[1]:.0f}" for a, t in sorted(tally.by_action.items())}
        lag = f"{median_and_p99_ms(tally.lag)[1]:.0f}"
        print(
            "ocpp_p99_ms_by_action: " + " ".join(f"{a}={ms}" for a, ms in slowest.items()) + f" client_loop_lag={lag}",
            flush=True,
        )
        # When the slowest 1% were sent, per 10 s from the first CALL: a burst or a stall shows.
        cut = sorted(tally.latencies)[int(len(tally.latencies) * 0.99)] if tally.latencies else 0.0
        slow: dict[int, int] = {}
        for sent, latency in zip(tally.sent_at, tally.latencies, strict=True):
            if latency >= cut:
                window = int((sent - tally.first_sent) // 10) * 10
                slow[window] = slow.get(window, 0) + 1
        print("ocpp_slowest_1pct_sent_at_s: " + " ".join(f"{t}s={n}" for t, n in sorted(slow.items())), flush=True)
        if tally.failed_to_connect or tally.refused_starts:
            print(f"ocpp_errors: not_connected={tally.failed_to_connect} starts_refused={tally.refused_starts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
