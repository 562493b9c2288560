"""The Redis replay epoch as tests need it (backend.core.replay)."""

from __future__ import annotations

import time

from backend.core import replay


async def settle_epoch(redis, seconds_ago: int = 3600) -> None:
    """Begin the replay epoch `seconds_ago`, as on a Redis that has been up a while (the test
    harness empties Redis before every test): requests stamped now are judged by their marks alone."""
    started = int((time.time() - seconds_ago) * 1000)
    await replay.first_use(redis, "tests:settle", "1", ttl_ms=1, issued_ms=started, lead_ms=0, now_ms=started)


async def epoch_started_ms(redis) -> int | None:
    """When the current epoch began, as stored (the server identity it names is not checked)."""
    stored = await redis.get(replay.EPOCH_KEY)
    return None if stored is None else int(stored.split(b":")[1])
