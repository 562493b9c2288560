"""Stock-taking under real concurrency on PostgreSQL: two checkers scanning the same label in a
room at once record it once, and a task closed while scans arrive keeps no scan its findings do
not count (each scan lands before the close, or is refused)."""

from __future__ import annotations

import asyncio

from backend.assets.models import StocktakeFinding, StocktakeScan
from backend.assets.service import qr, stocktakes
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.core.timeutil import now

BASE = "http://localhost:8000"


async def test_two_checkers_scanning_one_label_at_once_record_it_once(assets_world, requires_postgres):
    world = assets_world
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "A座年度盘点", None, world.places["A座"], ["D0002", "D0003"], now()
    )
    for round_no in range(5):  # a few rounds, so a lucky ordering does not hide a race
        code = f"HW-ASSET-{round_no}"
        answers = await asyncio.gather(
            *(
                stocktakes.scan(world.people[who], task["id"], world.places["301"], BASE, code, now())
                for who in ("D0002", "D0003", "D0002", "D0003")
            )
        )
        assert sorted(a["replayed"] for a in answers) == [False, True, True, True]
        assert await StocktakeScan.filter(stocktake_id=task["id"], code=code).count() == 1


async def test_a_task_closed_while_scans_arrive_counts_every_scan_it_kept(assets_world, requires_postgres):
    world, a = assets_world, assets_world.assets
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "A座年度盘点", None, world.places["A座"], ["D0002"], now()
    )
    checker = world.people["D0002"]
    labels = [f"HW-ASSET-{i}" for i in range(12)] + [qr.asset_qr_text(BASE, a["desk"].asset_no)]

    async def scanning(code: str):
        try:
            return await stocktakes.scan(checker, task["id"], world.places["301"], BASE, code, now())
        except AppError as refusal:
            return refusal.code

    results = await asyncio.gather(
        *(scanning(code) for code in labels[:6]),
        stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now()),
        *(scanning(code) for code in labels[6:]),
    )

    refused = [r for r in results if r == "assets.stocktake_closed"]
    kept = set(await StocktakeScan.filter(stocktake_id=task["id"]).values_list("code", flat=True))
    assert len(kept) + len(refused) == len(labels)
    unknown = set(await StocktakeFinding.filter(stocktake_id=task["id"], kind="unknown").values_list("code", flat=True))
    assert unknown == kept - {labels[-1]}
    desk_missing = await StocktakeFinding.filter(stocktake_id=task["id"], asset_id=a["desk"].id).exists()
    assert desk_missing == (labels[-1] not in kept)
