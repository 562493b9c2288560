"""Benchmark of the authenticated request paths over HTTP, against PostgreSQL and Redis.

`make bench-auth`: starts `houqin serve` on a throwaway database, then CONCURRENCY clients send
signed device heartbeats, then admin session requests, each for BENCH_SECONDS. Prints:
    auth_device_heartbeat: tx_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n>
    auth_admin_me: tx_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n>
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess

from bench.common import (
    HOUQIN,
    closed_loop,
    device_stamps,
    require_services,
    running_server,
    server_env,
    throwaway_database,
)
from kiosk.backend_client import signature_headers

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "32"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")


async def main() -> int:
    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_auth") as db_url:
        env = server_env(db_url, WORKERS)
        subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
        seeded = subprocess.run([*HOUQIN, "seed-demo"], env=env, check=True, capture_output=True, text=True).stdout
        password = re.search(r"管理员密码[^：]*：(\S+)", seeded).group(1)
        device_secret = re.search(r"设备密钥[^：]*：(\S+)", seeded).group(1)
        async with running_server(env) as base:
            import aiohttp

            async with aiohttp.ClientSession() as http:
                async with http.post(
                    f"{base}/admin/v1/auth/login", json={"username": "admin", "password": password}
                ) as response:
                    token = (await response.json())["token"]
            body = b'{"app_version":"bench","status":{"printer":"ok"}}'
            stamps = await device_stamps(base, "T-0001", device_secret)

            async def heartbeat(http, index: int, n: int) -> bool:
                headers = signature_headers(
                    "T-0001", device_secret, "POST", "/device/v1/heartbeat", "", body, timestamp=stamps.stamp()
                )
                headers["Content-Type"] = "application/json"
                async with http.post(f"{base}/device/v1/heartbeat", data=body, headers=headers) as response:
                    await response.read()
                    return response.status == 200

            async def admin_me(http, index: int, n: int) -> bool:
                async with http.get(
                    f"{base}/admin/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
                ) as response:
                    await response.read()
                    return response.status == 200

            print((await closed_loop(CONCURRENCY, SECONDS, heartbeat)).line("auth_device_heartbeat"), flush=True)
            print((await closed_loop(CONCURRENCY, SECONDS, admin_me)).line("auth_admin_me"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
