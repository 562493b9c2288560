"""What the benchmarks share: a throwaway PostgreSQL database, the server as a subprocess,
and a closed-loop load generator (aiohttp, so the client's own overhead stays small)."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from kiosk.backend_client import BackendClient, Stamps


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def require_services() -> tuple[str, str]:
    db, redis = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not db.startswith("postgres") or not redis.startswith("redis"):
        raise SystemExit("benchmarks need DATABASE_URL=postgres://... and REDIS_URL=redis://...")
    return db, redis


@asynccontextmanager
async def throwaway_database(base_url: str, prefix: str):
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(database_url(base_url, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(base_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def staff_unit(cipher, code: str, name: str, count: int, employee_prefix: str, phone_prefix: str) -> None:
    """A unit of `count` established staff, imported as the console imports a roster file
    (employee numbers <prefix>00000…, phones <prefix>00000000…)."""
    from backend.accounts.service import people
    from backend.core.audit import CLI_ACTOR
    from backend.core.permissions import Scope

    await people.create_unit(CLI_ACTOR, Scope.EVERYTHING, code, name, None)
    rows = "".join(f"{employee_prefix}{i:05d},{name}{i},{code},在编,{phone_prefix}{i:08d}\n" for i in range(count))
    roster = ("工号,姓名,单位编码,人员类别,手机号\n" + rows).encode()
    await people.import_roster(CLI_ACTOR, cipher, Scope.EVERYTHING, f"{code}.csv", roster, dry_run=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(db_url: str, workers: str) -> dict[str, str]:
    port = free_port()
    return {
        **os.environ,
        "DATABASE_URL": db_url,
        "HOUQIN_DATA_KEY": os.environ.get("HOUQIN_DATA_KEY") or base64.b64encode(secrets.token_bytes(32)).decode(),
        "PORT": str(port),
        "WORKERS": workers,
        "LOG_LEVEL": "WARNING",
        "LOGIN_RATE_LIMIT": "1000/minute",
    }


HOUQIN = [sys.executable, "-m", "backend.cli"]


@asynccontextmanager
async def running_server(env: dict[str, str]):
    # A session of its own: Sanic's manager kills a worker that is slow to start by its process
    # group, which would otherwise be the benchmark's own.
    server = subprocess.Popen(
        [*HOUQIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"{base}/ready") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


async def device_stamps(base_url: str, device_code: str, secret: str) -> Stamps:
    """The timestamps the load signs with: one heartbeat through the kiosk's client learns the
    first stamp the backend takes (a Redis that has just begun a replay epoch refuses earlier
    ones for the clock skew), as a terminal does."""
    kiosk = BackendClient(base_url, device_code, secret)
    try:
        answer = await kiosk.heartbeat("bench", {})
        if answer.status_code != 200:
            raise SystemExit(f"the warm-up heartbeat was refused: {answer.status_code} {answer.text[:300]}")
    finally:
        await kiosk.aclose()
    return kiosk.stamps


def median_and_p99_ms(latencies: list[float]) -> tuple[float, float]:
    """The 50th and 99th percentiles of latencies in seconds, in milliseconds."""
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return cuts[49] * 1000, cuts[98] * 1000


@dataclass
class LoadResult:
    count: int
    errors: int
    elapsed: float
    latencies: list[float]

    def line(self, name: str, **extra) -> str:
        """The figures; the rate counts only requests that succeeded, so errors never inflate it."""
        p50, p99 = median_and_p99_ms(self.latencies)
        fields = {
            "tx_per_s": f"{(self.count - self.errors) / self.elapsed:.0f}",
            "p50_ms": f"{p50:.1f}",
            "p99_ms": f"{p99:.1f}",
            "errors": str(self.errors),
            **{k: str(v) for k, v in extra.items()},
        }
        return f"{name}: " + " ".join(f"{k}={v}" for k, v in fields.items())


async def closed_loop(workers: int, duration: float, one_request, connect_path: str | None = None) -> LoadResult:
    """`workers` clients each sending `one_request(http, worker, n)` back to back for `duration`.

    With `connect_path`, each client first opens its keep-alive connection with a GET of that
    path, one client after another, before the clock starts: terminals come online one by one,
    not in one burst that a single server worker would accept whole.
    """
    latencies: list[float] = []
    errors = 0
    connected = asyncio.Event()
    ready = 0

    async def worker(http: aiohttp.ClientSession, index: int, deadline: float) -> None:
        nonlocal errors
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = await one_request(http, index, n)
            latencies.append(time.perf_counter() - started)
            errors += not ok
            n += 1

    async def connect(http: aiohttp.ClientSession, index: int) -> None:
        nonlocal ready
        await asyncio.sleep(index * 0.05)
        async with http.get(connect_path) as response:
            # Held unread until every client is connected, so each one opens a connection of its own.
            ready += 1
            if ready == workers:
                connected.set()
            await connected.wait()
            await response.read()

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers)) as http:
        if connect_path:
            await asyncio.gather(*(connect(http, i) for i in range(workers)))
        started = time.perf_counter()
        await asyncio.gather(*(worker(http, i, started + duration) for i in range(workers)))
        elapsed = time.perf_counter() - started
    return LoadResult(len(latencies), errors, elapsed, latencies)
