"""Redis clients from REDIS_URL; `memory://` (the embedded default) gives fakeredis.

The in-process fakeredis server is shared by the async client (sessions, nonces, pub/sub) and
the sync one (wechatpy's access-token cache), exactly as both share one real Redis in production.
"""

from __future__ import annotations

from functools import cache

import fakeredis
import redis
import redis.asyncio as aioredis

from backend.core.config import MEMORY_REDIS


@cache
def _fake_server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


def make_redis(url: str) -> aioredis.Redis:
    if url == MEMORY_REDIS:
        return fakeredis.FakeAsyncRedis(server=_fake_server())
    return aioredis.Redis.from_url(url)


def make_sync_redis(url: str) -> redis.Redis:
    if url == MEMORY_REDIS:
        return fakeredis.FakeRedis(server=_fake_server())
    return redis.Redis.from_url(url)
