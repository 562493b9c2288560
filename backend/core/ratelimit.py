"""Rate limits with the `limits` package: Redis storage in production, memory when embedded.

The Redis storage runs on the platform's own connection pool (backend/core/redis.py), so it
reaches a Sentinel master like every other client; limits' own `redis+sentinel://` storage
reads the service name from the whole URL path and would read counters from replicas.
"""

from __future__ import annotations

import math
import time

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from backend.core.config import MEMORY_REDIS
from backend.core.errors import CommonError
from backend.core.redis import connection_pool


class RateLimiter:
    def __init__(self, redis_url: str):
        storage: Storage
        if redis_url == MEMORY_REDIS:
            storage = MemoryStorage()
        else:
            # The URI only picks the redis-py client: the connections come from the pool, a
            # documented parameter that limits' narrow typing of its options does not cover.
            storage = RedisStorage(
                "async+redis://",
                implementation="redispy",
                connection_pool=connection_pool(redis_url),  # type: ignore[arg-type]
            )
        self._limiter = MovingWindowRateLimiter(storage)

    async def _refuse(self, limit, identifiers) -> None:
        stats = await self._limiter.get_window_stats(limit, *identifiers)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise CommonError.RATE_LIMITED.error(details={"retry_after": retry_after})

    async def hit(self, rule: str, *identifiers: str) -> None:
        """Count one hit for `identifiers` under `rule` (e.g. "10/minute"); refuse past it."""
        limit = parse(rule)
        if not await self._limiter.hit(limit, *identifiers):
            await self._refuse(limit, identifiers)

    async def check(self, rule: str, *identifiers: str) -> None:
        """Refuse if `identifiers` are already past `rule`, without counting this request."""
        limit = parse(rule)
        if not await self._limiter.test(limit, *identifiers):
            await self._refuse(limit, identifiers)

    async def count(self, rule: str, *identifiers: str) -> None:
        """Count an event (e.g. a failed login) that `check` will weigh next time."""
        await self._limiter.hit(parse(rule), *identifiers)

    async def clear(self, rule: str, *identifiers: str) -> None:
        await self._limiter.clear(parse(rule), *identifiers)

    async def reset(self) -> None:
        await self._limiter.storage.reset()
