"""The long-lived objects of one process (server worker, job worker or CLI command).

Opened once per process after the event loop exists (Redis clients bind to it) and closed on the
way out; request handlers reach it as `request.app.ctx.runtime`.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from backend.accounts.cadres import CadreAuth
from backend.core.config import Settings
from backend.core.crypto import FieldCipher
from backend.core.db import close_db, init_db
from backend.core.ratelimit import RateLimiter
from backend.core.redis import make_redis, make_sync_redis
from backend.core.sessions import TokenStore
from backend.core.wechat import MiniProgram


@dataclass
class Runtime:
    settings: Settings
    redis: aioredis.Redis
    cipher: FieldCipher
    limiter: RateLimiter
    cadre_auth: CadreAuth
    admin_sessions: TokenStore


async def open_runtime(settings: Settings) -> Runtime:
    await init_db(settings)
    redis = make_redis(settings.redis_url)
    cipher = FieldCipher(settings.data_key)
    wechat = MiniProgram(
        settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base, make_sync_redis(settings.redis_url)
    )
    return Runtime(
        settings=settings,
        redis=redis,
        cipher=cipher,
        limiter=RateLimiter(settings.redis_url),
        cadre_auth=CadreAuth(
            wechat=wechat,
            sessions=TokenStore(redis, "cadre", settings.cadre_session_ttl, sliding=True),
            bind_tickets=TokenStore(redis, "bind", settings.bind_ticket_ttl),
            cipher=cipher,
        ),
        admin_sessions=TokenStore(redis, "admin", settings.admin_session_ttl, sliding=True),
    )


async def close_runtime(runtime: Runtime) -> None:
    await runtime.redis.aclose()
    runtime.cadre_auth.wechat.close()
    await close_db()
