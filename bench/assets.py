"""Benchmark of the asset register (`make bench-assets`), against PostgreSQL and Redis.

A throwaway database gets BENCH_UNITS units (20) with a roster, a building of 10 floors of 40
rooms and a small class tree. A register of BENCH_ASSETS cards (100,000) is written as an .xlsx
file (not timed), then imported through the import service, checked and written all or nothing
(`import_s`: from the file's bytes to the committed cards). Then `houqin serve` runs and the asset
list of the admin API (`GET /admin/v1/assets/cards`, page 1 of 20, with its total) is asked
BENCH_QUERIES times (200) one after another with a mix of filters (unit subtree, class subtree,
status, floor, purchase dates: `list_p95_ms`), and as many times with a search (a part of a name,
of a spec, a whole asset number: `search_p95_ms`). Last, the label sheet of 1,000 cards is made
by the labels service (`labels_per_s`). Prints:
    assets: import_s=<s> list_p95_ms=<ms> search_p95_ms=<ms> labels_per_s=<n>
Targets (issue 17): import ≤ 60 s, list and search ≤ 150 ms, 1,000 labels ≤ 10 s.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import statistics
import subprocess
import time
from datetime import date, timedelta

import aiohttp
from openpyxl import Workbook

from bench.common import HOUQIN, require_services, running_server, server_env, throwaway_database

ASSETS = int(os.environ.get("BENCH_ASSETS", "100000"))
UNITS = int(os.environ.get("BENCH_UNITS", "20"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "200"))
LABELS = 1000
FLOORS, ROOMS_PER_FLOOR = 10, 40
PASSWORD = "bench-assets-password-1"
CLASSES = (
    ("A02", "设备", None, 0),
    ("A0201", "信息化设备", "A02", 0),
    ("A020101", "计算机", "A0201", 72),
    ("A020102", "打印设备", "A0201", 72),
    ("A05", "家具和用具", None, 0),
    ("A0501", "家具", "A05", 0),
    ("A050103", "桌类", "A0501", 180),
    ("A050105", "椅凳类", "A0501", 180),
)
GOODS = (
    ("台式计算机", "A020101", ("Lenovo M720", "Dell OptiPlex 7090", "华为 擎云 W515")),
    ("笔记本电脑", "A020101", ("ThinkPad X1", "HP EliteBook 840", "华为 MateBook D14")),
    ("激光打印机", "A020102", ("HP M405", "Canon LBP2900", "奔图 P3301")),
    ("办公桌", "A050103", ("1.4 m 钢木", "1.6 m 实木", "1.2 m 板式")),
    ("会议桌", "A050103", ("2.4 m 实木", "3.6 m 实木")),
    ("办公椅", "A050105", ("网布 转椅", "皮质 高背")),
)


def register_xlsx(unit_codes: list[str], rooms: list[str], employee_nos: list[str]) -> bytes:
    """BENCH_ASSETS rows of a plausible register, the same for every run (seeded)."""
    rng = random.Random(17)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("资产导入")
    sheet.append(["资产名称", "分类编码", "规格型号", "单位编码", "房间", "使用人工号", "原值（元）", "购置日期",
                  "使用年限（月）", "状态", "备注"])  # fmt: skip
    first = date(2012, 1, 1)
    for i in range(ASSETS):
        name, code, specs = GOODS[i % len(GOODS)]
        sheet.append(
            [
                name,
                code,
                f"{rng.choice(specs)} #{i % 997:03d}",
                rng.choice(unit_codes),
                rng.choice(rooms),
                rng.choice(employee_nos) if i % 3 else "",
                f"{rng.randint(300, 30000)}.{rng.randint(0, 99):02d}",
                (first + timedelta(days=rng.randint(0, 4700))).isoformat(),
                "",
                "闲置" if i % 10 == 0 else "在用",
                "",
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def prepare_and_import(env: dict[str, str]) -> tuple[float, dict]:
    """The units, roster, rooms and classes, then the timed import; (seconds, what the queries
    filter by: unit ids, class ids, floor ids, the first asset number)."""
    from backend.accounts.service import people as accounts
    from backend.assets.models import AssetCategory
    from backend.assets.service import categories, imports
    from backend.core.audit import CLI_ACTOR
    from backend.core.config import Settings
    from backend.core.permissions import Scope
    from backend.demo import create_superadmin
    from backend.places import service as places
    from backend.runtime import close_runtime, open_runtime

    subprocess.run([*HOUQIN, "migrate"], env=env, check=True, capture_output=True)
    runtime = await open_runtime(Settings.from_env(env))
    try:
        await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, "CITY", "市机关事务管理局", None)
        unit_codes = [f"U{i:02d}" for i in range(UNITS)]
        for code in unit_codes:
            await accounts.create_unit(CLI_ACTOR, Scope.EVERYTHING, code, f"单位{code}", "CITY")
        employee_nos = [f"E{i:05d}" for i in range(UNITS * 10)]
        roster = "工号,姓名,单位编码,人员类别,手机号\n" + "".join(
            f"{no},干部{i},{unit_codes[i % UNITS]},在编,137{i:08d}\n" for i, no in enumerate(employee_nos)
        )
        await accounts.import_roster(
            CLI_ACTOR, runtime.cipher, Scope.EVERYTHING, "bench.csv", roster.encode(), dry_run=False
        )
        building = await places.create_place(CLI_ACTOR, "市民中心A座", None)
        rooms, floors = [], []
        for f in range(1, FLOORS + 1):
            floor = await places.create_place(CLI_ACTOR, f"{f}楼", building["id"])
            floors.append(floor["id"])
            for r in range(1, ROOMS_PER_FLOOR + 1):
                rooms.append((await places.create_place(CLI_ACTOR, f"{f}{r:02d}", floor["id"]))["full_name"])
        made: dict[str, int] = {}
        for code, name, parent, life in CLASSES:
            made[code] = (await categories.create_category(CLI_ACTOR, code, name, made.get(parent), life))["id"]
        await create_superadmin("bench", "压测资产管理员", PASSWORD)
        content = register_xlsx(unit_codes, rooms, employee_nos)

        started = time.perf_counter()
        report = await imports.import_assets(CLI_ACTOR, Scope.EVERYTHING, "bench.xlsx", content, dry_run=False)
        import_s = time.perf_counter() - started

        assert report["total"] == ASSETS, report
        units = [u["id"] for u in await accounts.list_units(Scope.EVERYTHING)]
        class_ids = list(await AssetCategory.all().values_list("id", flat=True))
    finally:
        await close_runtime(runtime)
    return import_s, {"units": units, "classes": class_ids, "floors": floors, "first_no": report["first_no"]}


def list_queries(rng: random.Random, keys: dict) -> list[str]:
    def one() -> str:
        return rng.choice(
            [
                f"unit={rng.choice(keys['units'])}",
                f"category={rng.choice(keys['classes'])}",
                f"status={rng.choice(['in_use', 'idle'])}&unit={rng.choice(keys['units'])}",
                f"place={rng.choice(keys['floors'])}",
                f"bought_from=2018-01-01&bought_until=2019-06-30&category={rng.choice(keys['classes'])}",
                "",
            ]
        )

    return [one() for _ in range(QUERIES)]


def search_queries(rng: random.Random, keys: dict) -> list[str]:
    first = int(keys["first_no"][2:])
    words = ["计算机", "打印", "ThinkPad", "OptiPlex", "实木", "#123", "擎云", "M405"]
    return [
        f"q=ZC{first + rng.randrange(ASSETS):08d}" if i % 4 == 0 else f"q={rng.choice(words)}" for i in range(QUERIES)
    ]


async def p95_ms(http: aiohttp.ClientSession, base: str, token: str, queries: list[str]) -> float:
    latencies = []
    headers = {"Authorization": f"Bearer {token}"}
    for query in queries:
        started = time.perf_counter()
        async with http.get(f"{base}/admin/v1/assets/cards?{query}", headers=headers) as answer:
            assert answer.status == 200, await answer.text()
            await answer.read()
        latencies.append(time.perf_counter() - started)
    return statistics.quantiles(latencies, n=20)[-1] * 1000


async def labels_per_s(env: dict[str, str]) -> str:
    from backend.assets.models import Asset
    from backend.assets.service.labels import label_sheet_pdf
    from backend.core.config import Settings
    from backend.runtime import close_runtime, open_runtime

    runtime = await open_runtime(Settings.from_env(env))
    try:
        ids = list(await Asset.all().order_by("id").limit(LABELS).values_list("id", flat=True))
        started = time.perf_counter()
        pdf = await label_sheet_pdf(ids, "http://localhost:8000")
        elapsed = time.perf_counter() - started
        assert pdf.startswith(b"%PDF"), pdf[:20]
    finally:
        await close_runtime(runtime)
    return f"{LABELS / elapsed:.0f}"


async def main() -> int:
    base_db, _ = require_services()
    async with throwaway_database(base_db, "houqin_bench_assets") as db_url:
        env = server_env(db_url, "1")
        import_s, keys = await prepare_and_import(env)
        rng = random.Random(4)
        async with running_server(env) as base, aiohttp.ClientSession() as http:
            async with http.post(
                f"{base}/admin/v1/auth/login", json={"username": "bench", "password": PASSWORD}
            ) as login:
                assert login.status == 200, await login.text()
                token = (await login.json())["token"]
            await p95_ms(http, base, token, list_queries(rng, keys)[:10])  # warm the caches up
            list_p95 = await p95_ms(http, base, token, list_queries(rng, keys))
            search_p95 = await p95_ms(http, base, token, search_queries(rng, keys))
        labels = await labels_per_s(env)
    print(
        f"assets: import_s={import_s:.1f} list_p95_ms={list_p95:.0f} search_p95_ms={search_p95:.0f} "
        f"labels_per_s={labels}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
