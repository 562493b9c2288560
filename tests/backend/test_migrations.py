"""The schema comes only from the checked-in migrations, and they match the models exactly."""

import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.migrations.autodetector import MigrationAutodetector

from backend.core.db import tortoise_config
from backend.modules import model_modules

SCHEMA_QUERIES = {
    "columns": """
        SELECT table_name, column_name, data_type, is_nullable, character_maximum_length,
               numeric_precision, column_default
        FROM information_schema.columns WHERE table_schema = 'public'
        ORDER BY table_name, column_name""",
    "constraints": """
        SELECT rel.relname AS table_name, con.contype, pg_get_constraintdef(con.oid) AS definition
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = rel.relnamespace WHERE ns.nspname = 'public'
        ORDER BY 1, 2, 3""",
    "indexes": """
        SELECT tablename, regexp_replace(indexdef, 'INDEX \\S+ ON', 'INDEX ON') AS definition
        FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2""",
}


async def test_models_have_no_migration_pending(app, settings):
    apps_config = tortoise_config(settings, model_modules())["apps"]
    writers = await MigrationAutodetector(Tortoise.apps, apps_config).changes()
    assert writers == [], "models changed without a migration: run `tortoise makemigrations --name ...`"


def _database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", ""))


def _run(code: str, database_url: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "HOUQIN_VAR_DIR": os.environ.get("TMPDIR", "/tmp"),
    }
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=120)


async def _schema(url: str) -> dict:
    conn = await asyncpg.connect(url)
    try:
        schema = {}
        for name, query in SCHEMA_QUERIES.items():
            rows = [tuple(r) for r in await conn.fetch(query)]
            schema[name] = [r for r in rows if not str(r[0]).startswith("tortoise_migrations")]
        return schema
    finally:
        await conn.close()


async def test_migrations_on_empty_postgres_give_exactly_the_models(requires_postgres, tmp_path):
    """One database built by the migrations, one by Tortoise straight from the models: the same."""
    admin = await asyncpg.connect(_database_url(requires_postgres, "postgres"))
    names = [f"houqin_schema_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("migrated", "models")]
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        migrated, from_models = (_database_url(requires_postgres, n) for n in names)
        _run("from backend.cli import main; main(['migrate'])", migrated)
        _run(
            "import asyncio\n"
            "from tortoise import Tortoise\n"
            "from backend.core.config import Settings\n"
            "from backend.core.db import tortoise_config\n"
            "from backend.modules import model_modules\n"
            "async def go():\n"
            "    await Tortoise.init(config=tortoise_config(Settings.from_env(), model_modules()))\n"
            "    await Tortoise.generate_schemas()\n"
            "    await Tortoise.close_connections()\n"
            "asyncio.run(go())\n",
            from_models,
        )
        got, want = await _schema(migrated), await _schema(from_models)
        assert got["columns"], "the migrations created no tables"
        for part in SCHEMA_QUERIES:
            assert got[part] == want[part], f"{part} differ between migrations and models"
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
