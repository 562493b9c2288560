"""Redis clients from REDIS_URL; `memory://` (the embedded default) gives fakeredis.

With `redis+sentinel://` (backend/core/redis_url.py) every client asks the Sentinels where the
master is when it connects, and again after a connection to it fails, so after a failover the
same client objects reach the promoted replica. The commands under way when the master died
fail (the caller sees a connection error) and are not retried by the client, as with a plain
Redis: a nonce's SET NX that reached the old master would otherwise come back as a replay. The
next commands go to the new master.

The in-process fakeredis server is shared by the async client (sessions, nonces, pub/sub) and
the sync one (wechatpy's access-token cache), exactly as both share one real Redis in production.

The in-process server dies with the process, and with it every console and cadre session: the
server snapshots its string keys (sessions, tickets, nonces, cached tokens) with their remaining
lifetimes to a file when it stops, and loads them when it starts, so restarting `make run` logs
nobody out. The file holds only what Redis holds (session keys are digests of the tokens), and is
readable by its owner alone, like the data key beside it.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from functools import cache
from pathlib import Path

import fakeredis
import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from backend.core.config import MEMORY_REDIS
from backend.core.redis_url import is_sentinel_url, parse_sentinel_url

SNAPSHOT_FILE = "redis-snapshot.json"


@cache
def _fake_server() -> fakeredis.FakeServer:
    return fakeredis.FakeServer()


@cache
def _in_process_identity() -> str:
    return secrets.token_hex(20)


def server_identity(client: aioredis.Redis) -> str:
    """Who holds the data, as the replay epoch (backend.core.replay) names it: "" for a real
    Redis, whose script asks INFO for the run_id of whichever server runs it. The in-process
    server has no INFO and lives and dies with this process: it is named afresh in each, as a
    restarted Redis gets a new run_id (the snapshot brings keys back, not the marks written
    after it was taken by a process killed outright)."""
    return _in_process_identity() if isinstance(client, fakeredis.FakeAsyncRedis) else ""


# How long a request waits for a free connection when the pool is all in use (a lunch-rush
# burst) before it fails; redis-py's plain pool fails at once instead.
POOL_WAIT_SECONDS = 5


class BlockingSentinelConnectionPool(SentinelConnectionPool, aioredis.BlockingConnectionPool):
    """The master's connections as Sentinel names it, waiting for a free one as the plain pool
    does: redis-py's Sentinel pool alone is unbounded and never waits."""


def connection_pool(url: str) -> aioredis.BlockingConnectionPool:
    """A pool of asyncio connections to the server or Sentinel master that `url` names (not
    `memory://`); every asyncio client, the job broker's and the rate limiter's too, uses one."""
    if not is_sentinel_url(url):
        return aioredis.BlockingConnectionPool.from_url(url, timeout=POOL_WAIT_SECONDS)
    address = parse_sentinel_url(url)
    # A Sentinel that does not answer is passed over for the next one at once: redis-py's
    # default retries with backoff would spend seconds on it at every discovery of the master.
    sentinel = AsyncSentinel(
        address.sentinels, sentinel_kwargs={**address.sentinel_kwargs(), "retry": AsyncRetry(NoBackoff(), 0)}
    )
    return BlockingSentinelConnectionPool(
        address.master_name, sentinel, timeout=POOL_WAIT_SECONDS, **address.master_kwargs()
    )


def make_redis(url: str) -> aioredis.Redis:
    if url == MEMORY_REDIS:
        return fakeredis.FakeAsyncRedis(server=_fake_server())
    return aioredis.Redis.from_pool(connection_pool(url))


def make_sync_redis(url: str) -> redis.Redis:
    if url == MEMORY_REDIS:
        return fakeredis.FakeRedis(server=_fake_server())
    if is_sentinel_url(url):
        address = parse_sentinel_url(url)
        sentinel = Sentinel(
            address.sentinels, sentinel_kwargs={**address.sentinel_kwargs(), "retry": Retry(NoBackoff(), 0)}
        )
        return sentinel.master_for(address.master_name, **address.master_kwargs())
    return redis.Redis.from_url(url)


def _text(raw: bytes | str) -> str:
    return base64.b64encode(raw.encode() if isinstance(raw, str) else raw).decode()


def save_snapshot(path: Path) -> int:
    """Write the in-process server's string keys and their remaining lifetimes (milliseconds,
    None for none) to `path`, replacing it whole; returns how many keys were written."""
    client = fakeredis.FakeRedis(server=_fake_server())
    keys: dict[str, list] = {}
    for key in client.scan_iter(count=1000):
        if client.type(key) != b"string":
            continue
        value, ttl = client.get(key), client.pttl(key)
        if value is None or ttl == -2:  # expired between the scan and the read
            continue
        keys[_text(key)] = [_text(value), ttl if ttl > 0 else None]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"saved_at": time.time(), "keys": keys}, fh)
    os.replace(partial, path)
    return len(keys)


def load_snapshot(path: Path) -> int:
    """Put the keys of a snapshot back into the in-process server, less the time the process
    was down (a key whose lifetime ran out meanwhile stays gone); returns how many were loaded.
    A missing or unreadable file loads nothing: the sessions are lost, nothing else is."""
    try:
        snapshot = json.loads(path.read_text())
        saved_at, keys = float(snapshot["saved_at"]), dict(snapshot["keys"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    down_ms = max(0, int((time.time() - saved_at) * 1000))
    client = fakeredis.FakeRedis(server=_fake_server())
    loaded = 0
    for key, (value, ttl) in keys.items():
        if ttl is not None and ttl <= down_ms:
            continue
        client.set(base64.b64decode(key), base64.b64decode(value), px=None if ttl is None else ttl - down_ms)
        loaded += 1
    return loaded
