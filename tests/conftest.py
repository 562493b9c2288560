"""Test harness: the real app served over HTTP inside the test event loop.

Storage follows the environment, as in production: DATABASE_URL (PostgreSQL) and REDIS_URL
(Redis) when set, otherwise a temporary SQLite file and in-process fakeredis. The schema comes
from the checked-in migrations. Every test starts from empty tables and an empty Redis database
(the tests flush the Redis database that REDIS_URL names: point it at a throwaway one).
Tests that need PostgreSQL or Redis themselves skip with a reason where those are absent,
except under CI=true, where such a skip is a failure.
"""

from __future__ import annotations

import base64
import os
import pkgutil
import secrets
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sanic import Sanic
from tortoise import Tortoise, connections

from backend.core.config import MEMORY_REDIS, Settings
from backend.core.db import migrate
from backend.core.modules import resolve
from backend.modules import model_modules, modules
from tests.fakes.wechat import APPID, SECRET, WeChatStandIn
from tests.fakes.wechatpay import MCHID as PAY_MCHID
from tests.fakes.wechatpay import WeChatPayStandIn
from tests.helpers.environment import free_port, skip_or_fail
from tests.helpers.replay import settle_epoch

# Every fixture plugin in tests/fixtures/, one per area: a new module's fixtures need no line here.
pytest_plugins = [f"tests.fixtures.{m.name}" for m in pkgutil.iter_modules([str(Path(__file__).parent / "fixtures")])]


@pytest.fixture(scope="session")
def wechat() -> WeChatStandIn:
    standin = WeChatStandIn().start()
    yield standin
    standin.stop()


WECHATPAY_APIV3_KEY = "0123456789abcdefghijklmnopqrstuv"


@pytest.fixture(scope="session")
def wechatpay() -> WeChatPayStandIn:
    standin = WeChatPayStandIn(WECHATPAY_APIV3_KEY).start()
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def settings(tmp_path_factory, wechat, wechatpay) -> Settings:
    var_dir: Path = tmp_path_factory.mktemp("var")
    merchant_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (var_dir / "merchant_key.pem").write_bytes(
        merchant_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (var_dir / "wechatpay_public.pem").write_text(wechatpay.public_key_pem)
    env = {
        "HOUQIN_VAR_DIR": str(var_dir),
        "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "HOUQIN_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": wechat.base_url,
        "WECHAT_REPAIR_TEMPLATE_ID": "tpl-repair-progress",
        "WECHAT_APPROVAL_TEMPLATE_ID": "tpl-approval-pending",
        "WECHAT_FLEET_TEMPLATE_ID": "tpl-fleet-progress",
        "WECHAT_SHOP_TEMPLATE_ID": "tpl-shop-order",
        "WECHAT_ASSETS_TEMPLATE_ID": "tpl-assets-progress",
        "WECHAT_CHARGING_TEMPLATE_ID": "tpl-charging-session",
        "WECHAT_ACCESS_TEMPLATE_ID": "tpl-access-visit",
        "WECHAT_ENERGY_TEMPLATE_ID": "tpl-energy-alert",
        "WECHATPAY_MCHID": PAY_MCHID,
        "WECHATPAY_PRIVATE_KEY_PATH": str(var_dir / "merchant_key.pem"),
        "WECHATPAY_CERT_SERIAL": "3775B6A45ACD588826D15E583A95F5DD12345678",
        "WECHATPAY_APIV3_KEY": WECHATPAY_APIV3_KEY,
        "WECHATPAY_PUBLIC_KEY_PATH": str(var_dir / "wechatpay_public.pem"),
        "WECHATPAY_PUBLIC_KEY_ID": wechatpay.public_key_id,
        "WECHATPAY_NOTIFY_URL": "https://houqin.example.gov.cn/pay/wechat/notify",
        "WECHATPAY_API_BASE": wechatpay.base_url,
        "LOG_LEVEL": "WARNING",
        "LOGIN_RATE_LIMIT": "30/minute",
    }
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def requires_postgres(settings) -> str:
    if not settings.is_postgres:
        skip_or_fail("PostgreSQL is not configured (set DATABASE_URL=postgres://...)")
    return settings.database_url


@pytest.fixture(scope="session")
def requires_redis(settings) -> str:
    if settings.redis_url == MEMORY_REDIS:
        skip_or_fail("Redis is not configured (set REDIS_URL=redis://...)")
    return settings.redis_url


@pytest.fixture(scope="session")
async def app(settings):
    await migrate(settings, model_modules())
    Sanic.test_mode = True
    from backend.app import create_app

    application = create_app(settings)

    @application.get("/__test__/boom")
    async def boom(request):
        raise RuntimeError("secret internals: password=hunter2")

    port = free_port()
    server = await application.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    application.ctx.base_url = f"http://127.0.0.1:{port}"
    yield application
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await server.after_stop()


def _sql_array(values: list[str], cast: str) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + f"]::{cast}[]"


async def _postgres_emptying_script(conn, tables: list[str]) -> str:
    """One round trip that empties every table and restarts the sequences they own, as
    `TRUNCATE … RESTART IDENTITY` did. TRUNCATE costs ~0.2 s for 130 tables however few rows
    they hold (it replaces every table's files); a DELETE of a nearly empty table costs next to
    nothing. Foreign-key triggers are off for the transaction (session_replication_role), so the
    order of the deletes does not matter."""
    owned = await conn.execute_query_dict(
        "SELECT s.oid::regclass::text AS seq FROM pg_class s"
        " JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass"
        " AND d.refclassid = 'pg_class'::regclass"
        " JOIN pg_class t ON t.oid = d.refobjid"
        " WHERE s.relkind = 'S' AND d.deptype IN ('a', 'i') AND t.relname = ANY($1::text[])",
        [tables],
    )
    sequences = _sql_array([row["seq"] for row in owned], "regclass")
    return f"""DO $$
DECLARE t text;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOREACH t IN ARRAY {_sql_array(tables, "text")} LOOP
    EXECUTE format('DELETE FROM %I', t);
  END LOOP;
  PERFORM setval(s.seq, 1, false)
    FROM (SELECT format('%I.%I', schemaname, sequencename)::regclass AS seq
            FROM pg_sequences WHERE last_value IS NOT NULL) s
   WHERE s.seq = ANY({sequences});
END $$;"""


_emptying: dict[str, str] = {}


async def _empty_tables() -> None:
    conn = connections.get("default")
    tables = [m._meta.db_table for app_models in Tortoise.apps.values() for m in app_models.values()]
    if conn.capabilities.dialect == "postgres":
        if "postgres" not in _emptying:
            _emptying["postgres"] = await _postgres_emptying_script(conn, tables)
        await conn.execute_script(_emptying["postgres"])
    else:
        deletes = "".join(f"DELETE FROM {t};" for t in tables)
        # One transaction: one sync to disk instead of one per table.
        await conn.execute_script(f"PRAGMA foreign_keys=OFF;BEGIN;{deletes}COMMIT;PRAGMA foreign_keys=ON;")


@pytest.fixture(autouse=True)
async def clean_state(request, wechat):
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    runtime = app.ctx.runtime
    await _empty_tables()
    await runtime.redis.flushdb()
    await settle_epoch(runtime.redis)
    await runtime.limiter.reset()
    # Per-process caches of what the emptied tables held.
    for module in modules():
        for forget in module.caches:
            resolve(forget)()
    wechat.state.reset()
    request.getfixturevalue("wechatpay").state.reset()
    yield


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(base_url=app.ctx.base_url, timeout=10) as http:
        yield http


@pytest.fixture
def runtime(app):
    return app.ctx.runtime
