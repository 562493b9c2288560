"""Settings read from the environment, with the embedded defaults used by `make run`.

Every variable is listed in the README. Only DATABASE_URL and REDIS_URL separate the embedded
default (SQLite + in-process fakeredis + in-process jobs) from production. These are the
platform's own settings; a module's settings are declared in its `config.py` and read from
`Settings.environ`.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from limits import parse

from backend.core.redis_url import check_redis_url

MEMORY_REDIS = "memory://"
LOG_FORMATS = ("console", "json")


def int_setting(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def bool_setting(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A switch: "1" on, "0" off, unset the default."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw not in ("0", "1"):
        raise ValueError(f"{name} must be 0 or 1, got {raw!r}")
    return raw == "1"


def bounded_setting(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """An integer setting that must lie between `low` and `high` (inclusive)."""
    value = int_setting(env, name, default)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _load_or_create_key(path: Path) -> bytes:
    """The embedded default keeps a generated key beside its data, so restarts can decrypt."""
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(base64.b64encode(key).decode())
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    data_key: bytes = field(repr=False)
    var_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    database_pool_size: int = 20
    log_level: str = "INFO"
    # Human lines on the embedded default (a person reads the terminal), JSON in production (a
    # log collector reads them).
    log_format: str = "json"
    proxies_count: int = 0
    wechat_appid: str = ""
    wechat_secret: str = field(default="", repr=False)
    wechat_api_base: str = "https://api.weixin.qq.com"
    # The embedded default's stand-in of WeChat (backend.core.wechat_standin), for the demo only.
    wechat_standin: bool = False
    cadre_session_ttl: int = 7 * 24 * 3600
    bind_ticket_ttl: int = 600
    admin_session_ttl: int = 8 * 3600
    device_clock_skew: int = 300
    device_offline_after: int = 90
    wechatpay_mchid: str = ""
    wechatpay_private_key_path: str = ""
    wechatpay_cert_serial: str = ""
    wechatpay_apiv3_key: str = field(default="", repr=False)
    wechatpay_public_key_path: str = ""
    wechatpay_public_key_id: str = ""
    wechatpay_notify_url: str = ""
    wechatpay_api_base: str = "https://api.mch.weixin.qq.com"
    login_rate_limit: str = "10/minute"
    api_rate_limit: str = "120/minute"
    media_storage_url: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    # The environment these settings were read from: each module reads its own settings from it
    # (`backend.modules.settings_of`), so a module's settings are declared in its folder.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def embedded(self) -> bool:
        return self.redis_url == MEMORY_REDIS

    @property
    def wechatpay_configured(self) -> bool:
        return bool(self.wechatpay_mchid and self.wechatpay_private_key_path and self.wechatpay_apiv3_key)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://", "asyncpg://"))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        var_dir = Path(env.get("HOUQIN_VAR_DIR", "var")).resolve()
        database_url = env.get("DATABASE_URL", "").strip() or f"sqlite://{var_dir / 'houqin.sqlite3'}"
        redis_url = env.get("REDIS_URL", "").strip() or MEMORY_REDIS
        embedded = redis_url == MEMORY_REDIS
        if not embedded:
            check_redis_url(redis_url)
        raw_key = env.get("HOUQIN_DATA_KEY", "").strip()
        if not raw_key and redis_url != MEMORY_REDIS:
            # Several hosts must share one key; a key generated per host would make each
            # unable to read the others' personal data.
            raise ValueError("HOUQIN_DATA_KEY must be set when REDIS_URL is (production)")
        data_key = base64.b64decode(raw_key) if raw_key else _load_or_create_key(var_dir / "data.key")
        if len(data_key) != 32:
            raise ValueError("HOUQIN_DATA_KEY must be 32 bytes, base64-encoded")
        settings = cls(
            database_url=database_url,
            redis_url=redis_url,
            data_key=data_key,
            var_dir=var_dir,
            host=env.get("HOST", "127.0.0.1"),
            port=int_setting(env, "PORT", 8000),
            workers=int_setting(env, "WORKERS", 1),
            database_pool_size=int_setting(env, "DATABASE_POOL_SIZE", 20),
            log_level=env.get("LOG_LEVEL", "INFO").upper(),
            log_format=env.get("LOG_FORMAT", "").strip().lower() or ("console" if embedded else "json"),
            proxies_count=int_setting(env, "PROXIES_COUNT", 0),
            wechat_appid=env.get("WECHAT_APPID", ""),
            wechat_secret=env.get("WECHAT_SECRET", ""),
            wechat_api_base=env.get("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
            wechat_standin=bool_setting(env, "WECHAT_STANDIN", False),
            cadre_session_ttl=int_setting(env, "CADRE_SESSION_TTL", 7 * 24 * 3600),
            admin_session_ttl=int_setting(env, "ADMIN_SESSION_TTL", 8 * 3600),
            device_clock_skew=int_setting(env, "DEVICE_CLOCK_SKEW", 300),
            device_offline_after=int_setting(env, "DEVICE_OFFLINE_AFTER", 90),
            wechatpay_mchid=env.get("WECHATPAY_MCHID", ""),
            wechatpay_private_key_path=env.get("WECHATPAY_PRIVATE_KEY_PATH", ""),
            wechatpay_cert_serial=env.get("WECHATPAY_CERT_SERIAL", ""),
            wechatpay_apiv3_key=env.get("WECHATPAY_APIV3_KEY", ""),
            wechatpay_public_key_path=env.get("WECHATPAY_PUBLIC_KEY_PATH", ""),
            wechatpay_public_key_id=env.get("WECHATPAY_PUBLIC_KEY_ID", ""),
            wechatpay_notify_url=env.get("WECHATPAY_NOTIFY_URL", ""),
            wechatpay_api_base=env.get("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com").rstrip("/"),
            login_rate_limit=env.get("LOGIN_RATE_LIMIT", "10/minute"),
            api_rate_limit=env.get("API_RATE_LIMIT", "120/minute"),
            media_storage_url=env.get("MEDIA_STORAGE_URL", "").strip(),
            s3_access_key_id=env.get("S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=env.get("S3_SECRET_ACCESS_KEY", ""),
            environ=dict(env),
        )
        for name in ("LOGIN_RATE_LIMIT", "API_RATE_LIMIT"):
            rule = getattr(settings, name.lower())
            try:
                parse(rule)
            except ValueError:
                raise ValueError(f"{name} must look like '10/minute', got {rule!r}") from None
        if settings.log_format not in LOG_FORMATS:
            raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {settings.log_format!r}")
        if settings.embedded and settings.workers != 1:
            raise ValueError("the embedded default (REDIS_URL unset) runs one worker; set REDIS_URL")
        if settings.wechat_standin and (settings.wechat_appid or not settings.embedded):
            raise ValueError(
                "WECHAT_STANDIN=1 (the demo's stand-in of WeChat) is only for the embedded default without WECHAT_APPID"
            )
        return settings
