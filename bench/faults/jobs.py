"""Jobs queued the way the scheduler queues them: `<task>.kiq()` on the product's broker, in a
process of its own (the broker is built from REDIS_URL when backend.core.jobs is imported)."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import asyncpg

KICK = """
import asyncio, sys
import backend.tasks  # noqa: F401 (registers every task with the broker)
from backend.core.jobs import broker

async def kick(name):
    await broker.startup()
    try:
        await broker.find_task(name).kiq()
    finally:
        await broker.shutdown()

asyncio.run(kick(sys.argv[1]))
"""

MONTHLY_SUBSIDY = "wallet.monthly_subsidy"


async def kick(env: dict[str, str], task_name: str) -> None:
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-c", KICK, task_name], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"could not queue {task_name}: {result.stderr.strip()[-500:]}")


async def subsidy_state(db_url: str) -> tuple[int, int, int]:
    """(people granted this month, grants in all, runs finished) for the month of the latest run."""
    conn = await asyncpg.connect(db_url)
    try:
        month = await conn.fetchval("SELECT month FROM wallet_subsidy_grant_run ORDER BY id DESC LIMIT 1")
        granted = await conn.fetchval(
            "SELECT count(DISTINCT person_id) FROM wallet_subsidy_grant WHERE month = $1", month
        )
        grants = await conn.fetchval("SELECT count(*) FROM wallet_subsidy_grant WHERE month = $1", month)
        finished = await conn.fetchval("SELECT count(*) FROM wallet_subsidy_grant_run WHERE finished_at IS NOT NULL")
        return granted, grants, finished
    finally:
        await conn.close()


async def covered_people(db_url: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        # The world's one rule covers every person of its one unit.
        return await conn.fetchval("SELECT count(*) FROM accounts_person WHERE is_active")
    finally:
        await conn.close()
