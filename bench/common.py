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


def server_env(db_url: str, workers: str) -> dict[str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
    server = subprocess.Popen([*HOUQIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


@dataclass
class LoadResult:
    count: int
    errors: int
    elapsed: float
    latencies: list[float]

    def line(self, name: str, **extra) -> str:
        cuts = statistics.quantiles(self.latencies, n=100) if len(self.latencies) > 1 else [0.0] * 99
        fields = {
            "tx_per_s": f"{self.count / self.elapsed:.0f}",
            "p50_ms": f"{cuts[49] * 1000:.1f}",
            "p99_ms": f"{cuts[98] * 1000:.1f}",
            "errors": str(self.errors),
            **{k: str(v) for k, v in extra.items()},
        }
        return f"{name}: " + " ".join(f"{k}={v}" for k, v in fields.items())


async def closed_loop(workers: int, duration: float, one_request) -> LoadResult:
    """`workers` clients each sending `one_request(http, worker, n)` back to back for `duration`."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + duration

    async def worker(http: aiohttp.ClientSession, index: int) -> None:
        nonlocal errors
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            ok = await one_request(http, index, n)
            latencies.append(time.perf_counter() - started)
            errors += not ok
            n += 1

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=workers)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http, i) for i in range(workers)))
        elapsed = time.perf_counter() - started
    return LoadResult(len(latencies), errors, elapsed, latencies)
