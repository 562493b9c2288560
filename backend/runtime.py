"""The long-lived objects of one process (server worker, job worker or CLI command).

Opened once per process after the event loop exists (Redis clients bind to it) and closed on the
way out; request handlers reach it as `request.app.ctx.runtime`. The server's runtime on the
embedded default also carries the in-process Redis across restarts (backend.core.redis), so
sessions outlive `make run`; a CLI command's runtime does not, so it never overwrites them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis

from backend.accounts.service.cadres import CadreAuth
from backend.core.config import Settings
from backend.core.crypto import FieldCipher
from backend.core.db import close_db, init_db
from backend.core.ratelimit import RateLimiter
from backend.core.redis import SNAPSHOT_FILE, load_snapshot, make_redis, make_sync_redis, save_snapshot
from backend.core.sessions import TokenStore
from backend.core.storage import Storage, storage_from_settings
from backend.core.wechat import MiniProgram, WeChatApi
from backend.core.wechat_standin import WeChatStandIn
from backend.core.wechatpay import WeChatPay
from backend.modules import model_modules


@dataclass
class Runtime:
    settings: Settings
    redis: aioredis.Redis
    cipher: FieldCipher
    limiter: RateLimiter
    cadre_auth: CadreAuth
    admin_sessions: TokenStore
    wechatpay: WeChatPay | None
    storage: Storage
    redis_snapshot: Path | None = None


def make_wechatpay(settings: Settings) -> WeChatPay | None:
    """WeChat Pay for top-ups, when configured (the embedded demo runs without it)."""
    if not settings.wechatpay_configured:
        return None
    return WeChatPay(
        mchid=settings.wechatpay_mchid,
        appid=settings.wechat_appid,
        merchant_private_key_pem=Path(settings.wechatpay_private_key_path).read_text(),
        merchant_cert_serial=settings.wechatpay_cert_serial,
        apiv3_key=settings.wechatpay_apiv3_key,
        wechatpay_public_key_pem=Path(settings.wechatpay_public_key_path).read_text(),
        wechatpay_public_key_id=settings.wechatpay_public_key_id,
        notify_url=settings.wechatpay_notify_url,
        base_url=settings.wechatpay_api_base,
    )


def make_mini_program(settings: Settings) -> WeChatApi:
    if settings.wechat_standin:
        return WeChatStandIn(make_sync_redis(settings.redis_url))
    return MiniProgram(
        settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base, make_sync_redis(settings.redis_url)
    )


async def open_runtime(settings: Settings, *, keep_redis: bool = False) -> Runtime:
    """The process's long-lived objects; `keep_redis` (the server) loads the embedded default's
    Redis snapshot now and writes it again on close."""
    await init_db(settings, model_modules())
    redis = make_redis(settings.redis_url)
    snapshot = settings.var_dir / SNAPSHOT_FILE if keep_redis and settings.embedded else None
    if snapshot is not None:
        load_snapshot(snapshot)
    cipher = FieldCipher(settings.data_key)
    wechat = make_mini_program(settings)
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
        wechatpay=make_wechatpay(settings),
        storage=storage_from_settings(settings),
        redis_snapshot=snapshot,
    )


async def close_runtime(runtime: Runtime) -> None:
    if runtime.redis_snapshot is not None:
        save_snapshot(runtime.redis_snapshot)
    await runtime.redis.aclose()
    runtime.cadre_auth.wechat.close()
    await runtime.storage.close()
    await close_db()
