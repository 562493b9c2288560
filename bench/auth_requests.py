"""Benchmark of the authenticated request paths over HTTP, against PostgreSQL and Redis.

Starts `houqin serve` (WORKERS workers) on a throwaway database, then for DURATION seconds
CONCURRENCY clients send signed device heartbeats, then admin session requests. Prints:
    auth_device_heartbeat: req_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n>
    auth_admin_me: req_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n>
Needs DATABASE_URL (postgres://...) and REDIS_URL (redis://...), as the CI script sets them.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import httpx

from kiosk.backend_client import signature_headers

DURATION = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")


def _db_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


async def _load(name: str, send) -> None:
    """aiohttp as the load generator: httpx's own overhead would be what gets measured."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + DURATION

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with send(http) as response:
                await response.read()
                errors += response.status != 200
            latencies.append(time.perf_counter() - started)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name}: req_per_s={len(latencies) / elapsed:.0f} p50_ms={cuts[49] * 1000:.1f} "
        f"p99_ms={cuts[98] * 1000:.1f} errors={errors}",
        flush=True,
    )


async def main() -> int:
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url.startswith("redis"):
        print("bench needs DATABASE_URL=postgres://... and REDIS_URL=redis://...", file=sys.stderr)
        return 2
    name = f"houqin_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_db_url(database_url, "postgres"))
    await admin.execute(f'CREATE DATABASE "{name}"')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": _db_url(database_url, name),
        "HOUQIN_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PORT": str(port),
        "WORKERS": WORKERS,
        "LOG_LEVEL": "WARNING",
        "LOGIN_RATE_LIMIT": "1000/minute",
    }
    houqin = [sys.executable, "-m", "backend.cli"]
    server = None
    try:
        subprocess.run([*houqin, "migrate"], env=env, check=True, capture_output=True)
        seeded = subprocess.run([*houqin, "seed-demo"], env=env, check=True, capture_output=True, text=True).stdout
        password = re.search(r"管理员密码[^：]*：(\S+)", seeded).group(1)
        device_secret = re.search(r"设备密钥[^：]*：(\S+)", seeded).group(1)
        server = subprocess.Popen([*houqin, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base) as http:
            for _ in range(200):
                try:
                    if (await http.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            token = (await http.post("/admin/v1/auth/login", json={"username": "admin", "password": password})).json()["token"]

        body = b'{"app_version":"bench","status":{"printer":"ok"}}'

        def heartbeat(http: aiohttp.ClientSession):
            headers = signature_headers("T-0001", device_secret, "POST", "/device/v1/heartbeat", "", body)
            headers["Content-Type"] = "application/json"
            return http.post(f"{base}/device/v1/heartbeat", data=body, headers=headers)

        def admin_me(http: aiohttp.ClientSession):
            return http.get(f"{base}/admin/v1/auth/me", headers={"Authorization": f"Bearer {token}"})

        await _load("auth_device_heartbeat", heartbeat)
        await _load("auth_admin_me", admin_me)
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
