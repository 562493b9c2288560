"""Tortoise ORM configuration: one app (`houqin`) whose schema comes only from migrations.

The model modules are given by the caller (`backend.modules.model_modules()`): core knows no
domain module."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url

from backend.core.config import Settings

APP_LABEL = "houqin"
TIMEZONE = "Asia/Shanghai"


def _with_pool_size(url: str, pool_size: int) -> str:
    """asyncpg's pool is sized explicitly: Tortoise's default of 5 starves several workers."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("minsize", "1")
    query.setdefault("maxsize", str(pool_size))
    scheme = "postgres" if parts.scheme in ("postgresql", "asyncpg") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


async def _keep_session(connection) -> None:
    """Given to asyncpg as the pool's reset: nothing to undo.

    asyncpg's default reset runs one more statement (unlock advisory locks, close cursors,
    UNLISTEN, RESET ALL) every time a connection goes back to the pool, twice per payment at the
    lunch rush. This application sets no session state, takes no advisory locks, opens no cursors
    and listens to nothing; an open transaction is still rolled back by asyncpg itself first."""


def tortoise_config(settings: Settings, models: list[str]) -> dict:
    url = settings.database_url
    connection: str | dict = url
    if settings.is_postgres:
        connection = expand_db_url(_with_pool_size(url, settings.database_pool_size))
        connection["credentials"]["reset"] = _keep_session
    elif url.startswith("sqlite://"):
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": models,
                "default_connection": "default",
                "migrations": "backend.migrations",
            }
        },
        "use_tz": True,
        "timezone": TIMEZONE,
    }


async def init_db(settings: Settings, models: list[str]) -> None:
    """Open the connections for this process (server worker, job worker or CLI command).

    The connection is opened here, not lazily by the first query: Tortoise's connection wrapper
    takes its lock before connecting and never releases it if the connecting is cancelled (a
    client that hangs up mid-request), which would leave every later query waiting forever.
    """
    await Tortoise.init(config=tortoise_config(settings, models), _enable_global_fallback=True)
    await ping_db()


async def close_db() -> None:
    """Close the connections and let go of the global context, so that the same process can
    open the database again (`houqin run` seeds, then serves)."""
    await Tortoise.close_connections()


async def ping_db() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def migrate(settings: Settings, models: list[str], target: str | None = None) -> None:
    """Apply every checked-in migration (Tortoise's own migration runner), or migrate forward or
    back to `target` ("houqin.0014_generic_scoped_grant")."""
    from tortoise.migrations.api import migrate as run_migrations

    try:
        await run_migrations(config=tortoise_config(settings, models), target=target)
    finally:
        await connections.close_all()
