"""Benchmark of repair reports (`make bench-repairs`), against PostgreSQL and Redis.

First the photo pipeline alone: a 12-megapixel phone photo, BENCH_PHOTOS times in turn.
Then BENCH_CLIENTS cadres file reports concurrently over HTTP for BENCH_SECONDS against
`houqin serve`: each report is one photo upload (a BENCH_PHOTO_SIZE JPEG, by default
1920×1440, what the mini-program's compressed photo picker sends) and the report itself; a
submission's time runs from the upload's first byte to the report's answer. Afterwards every
answered report is checked to be in the database with its photo. The per-cadre request limit is
lifted for the run: eight cadres filing back to back would otherwise meet it. Prints:
    repair_photo: per_photo_ms=<n> p95_ms=<n> photos=<n>
    repair_submit: tx_per_s=<n> p50_ms=<n> p99_ms=<n> errors=<n> invariant_violations=<n>
"""

from __future__ import annotations

import asyncio
import os
import secrets
import statistics
import subprocess

import aiohttp

from bench.common import (
    HOUQIN,
    closed_loop,
    require_services,
    running_server,
    server_env,
    staff_unit,
    throwaway_database,
)
from bench.repairs_photo import phone_photo, photo_timings_ms

PHOTOS = int(os.environ.get("BENCH_PHOTOS", "20"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = os.environ.get("BENCH_WORKERS", "2")
PHOTO_SIZE = tuple(int(n) for n in os.environ.get("BENCH_PHOTO_SIZE", "1920x1440").split("x"))


async def prepare(env: dict[str, str]) -> tuple[list[str], int, int]:
    """Cadres with mini-program sessions, one category and one room; (tokens, category, room)."""
    from decimal import Decimal

    from backend.accounts.models import Person
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.repairs.service import catalog
    from backend.runtime import close_runtime, open_runtime

    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await staff_unit(runtime.cipher, "CITY", "市机关事务管理局", CLIENTS, "R", "137")
        category = await catalog.save_category(CLI_ACTOR, "water", "水电", None, Decimal(2), Decimal(16), False)
        building = await catalog.create_location(CLI_ACTOR, "市民中心", None)
        floor = await catalog.create_location(CLI_ACTOR, "3楼", building["id"])
        room = await catalog.create_location(CLI_ACTOR, "301", floor["id"])
        tokens = []
        for person in await Person.all().order_by("id"):
            # A bound cadre's session, as the WeChat login would leave it.
            openid = f"o-bench-{person.id}"
            await Person.filter(id=person.id).update(wechat_openid=openid)
            tokens.append(
                await runtime.cadre_auth.sessions.issue(
                    {"person_id": person.id, "openid": openid, "session_key": "bench"}
                )
            )
        return tokens, category["id"], room["id"]
    finally:
        await close_runtime(runtime)


async def check_invariants(env: dict[str, str], answered: set[int]) -> int:
    """Every answered report is stored, once, with exactly its one photo."""
    from backend.core.config import Settings
    from backend.repairs.models import RepairPhoto, RepairReport
    from backend.runtime import close_runtime, open_runtime

    runtime = await open_runtime(Settings.from_env(env))
    try:
        stored = set(await RepairReport.filter(id__in=answered).values_list("id", flat=True))
        with_photo = await RepairPhoto.filter(report_id__in=answered).count()
        return len(answered - stored) + abs(with_photo - len(answered))
    finally:
        await close_runtime(runtime)


async def main() -> int:
    timings = await photo_timings_ms(PHOTOS)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) > 1 else timings[0]
    print(
        f"repair_photo: per_photo_ms={statistics.fmean(timings):.0f} p95_ms={p95:.0f} photos={len(timings)}", flush=True
    )

    base_db, _ = require_services()
    photo = phone_photo(*PHOTO_SIZE)
    async with throwaway_database(base_db, "houqin_bench_repairs") as db_url:
        env = {**server_env(db_url, WORKERS), "API_RATE_LIMIT": "1000000/minute"}
        tokens, category_id, room_id = await prepare(env)
        answered: set[int] = set()
        async with running_server(env) as base:

            async def one(http: aiohttp.ClientSession, index: int, n: int) -> bool:
                headers = {"Authorization": f"Bearer {tokens[index % len(tokens)]}"}
                form = aiohttp.FormData()
                form.add_field("file", photo, filename="photo.jpg", content_type="image/jpeg")
                async with http.post(f"{base}/mp/v1/repairs/photos", data=form, headers=headers) as response:
                    if response.status != 201:
                        return False
                    photo_id = (await response.json())["id"]
                report = {
                    "client_ref": secrets.token_hex(8),
                    "category_id": category_id,
                    "location_id": room_id,
                    "description": f"压测报修 {index}-{n}",
                    "photo_ids": [photo_id],
                }
                async with http.post(f"{base}/mp/v1/repairs", json=report, headers=headers) as response:
                    if response.status != 201:
                        return False
                    answered.add((await response.json())["id"])
                    return True

            result = await closed_loop(CLIENTS, SECONDS, one, connect_path=f"{base}/health")
        violations = await check_invariants(env, answered)
        print(result.line("repair_submit", invariant_violations=violations), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
