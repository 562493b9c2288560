"""Opaque session tokens kept in Redis (cadre sessions, bind tickets, admin sessions).

The client holds only a random token; Redis holds its SHA-256, so a dump of Redis cannot be
replayed as logins. Anything sensitive (e.g. WeChat's session_key) lives only in the stored data.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

import redis.asyncio as aioredis


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, redis: aioredis.Redis, kind: str, ttl: int, *, sliding: bool = False):
        self._redis = redis
        self._prefix = f"session:{kind}:"
        self._ttl = ttl
        self._sliding = sliding

    def _key(self, token: str) -> str:
        return self._prefix + _digest(token)

    def session_key(self, token: str) -> str:
        """The Redis key that holds the session: something else may live exactly as long."""
        return self._key(token)

    async def issue(self, data: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(32)
        await self._redis.set(self._key(token), json.dumps(data), ex=self._ttl)
        return token

    async def read(self, token: str) -> dict[str, Any] | None:
        if not token or len(token) > 128:
            return None
        key = self._key(token)
        # GETEX renews a sliding session in the same round trip as the read.
        raw = await (self._redis.getex(key, ex=self._ttl) if self._sliding else self._redis.get(key))
        return None if raw is None else json.loads(raw)

    async def revoke(self, token: str) -> None:
        await self._redis.delete(self._key(token))
