"""`houqin backup` and `houqin restore` on PostgreSQL: a backup of books with real money in them,
restored into a new database, reconciles and holds the same balances and ledger; a restore never
goes into a database that already has tables."""

import base64
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from tortoise import connections
from tortoise.backends.base.config_generator import expand_db_url

from backend.accounts.models import Person
from tests.fixtures.canteen import cardholder, pay
from tests.helpers.environment import skip_or_fail
from tests.helpers.money import grant_subsidy

HOUQIN = [sys.executable, "-m", "backend.cli"]

# What a restore must give back exactly: every balance, and every row of the books.
BOOKS = {
    "balances": "SELECT id, cash_balance, subsidy_balance, overdraft_owed FROM wallet_wallet ORDER BY id",
    "ledger": "SELECT account, count(*), sum(amount) FROM wallet_ledger_entry GROUP BY account ORDER BY account",
    "transfers": "SELECT count(*) FROM wallet_transfer",
    "payments": "SELECT terminal_txn_no, amount_fen, status FROM canteen_payment ORDER BY id",
}


async def _connect(url: str) -> asyncpg.Connection:
    c = expand_db_url("postgres://" + url.split("://", 1)[1])["credentials"]
    return await asyncpg.connect(
        host=c["host"], port=c["port"], user=c["user"], password=c.get("password"), database=c["database"]
    )


async def _books(url: str) -> dict:
    conn = await _connect(url)
    try:
        return {name: [tuple(row) for row in await conn.fetch(sql)] for name, sql in BOOKS.items()}
    finally:
        await conn.close()


@pytest.fixture
async def pg_args(requires_postgres) -> tuple[str, ...]:
    """`--pg-bin` for Debian's client programs of the server's own major version when they are
    installed beside others' (pg_dump must not be older than the server), else nothing (PATH)."""
    rows = await connections.get("default").execute_query_dict("SHOW server_version_num")
    versioned = Path(f"/usr/lib/postgresql/{int(rows[0]['server_version_num']) // 10000}/bin")
    if (versioned / "pg_dump").exists():
        return ("--pg-bin", str(versioned))
    if shutil.which("pg_dump") is None:
        skip_or_fail("pg_dump and pg_restore are not installed (apt-get install postgresql-client)")
    return ()


@pytest.fixture
async def fresh_database(requires_postgres):
    """The URL of a new, empty database on the test server, dropped afterwards."""
    source = urlsplit(requires_postgres)
    name = f"{source.path.lstrip('/')[:40]}_restore_{secrets.token_hex(4)}"
    conn = await _connect(requires_postgres)
    await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(source._replace(path=f"/{name}"))
    finally:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def houqin(settings, tmp_path: Path, database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {
        "DATABASE_URL": database_url,
        "HOUQIN_VAR_DIR": str(tmp_path / "var"),
        "HOUQIN_DATA_KEY": base64.b64encode(settings.data_key).decode(),
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run([*HOUQIN, *args], env=env, capture_output=True, text=True, timeout=180)


async def test_backup_restored_into_a_new_database_reconciles_with_the_same_books(
    settings, requires_postgres, pg_args, fresh_database, client, two_canteens, tmp_path
):
    # given: money moved through the services: cards, top-ups, subsidies, terminal payments
    first, second = two_canteens
    await cardholder("D0003", "AA000003", cash=5_000, subsidy=3_000)
    await cardholder("D0005", "AA000005", cash=2_000)
    await grant_subsidy((await Person.get(employee_no="D0001")).id, 2_000)
    assert (await pay(client, first, "TX-3", card_uid="AA000003")).status_code == 200
    assert (await pay(client, second, "TX-4", card_uid="AA000005")).status_code == 200
    dump = tmp_path / "houqin.dump"

    # when
    backed_up = houqin(settings, tmp_path, requires_postgres, "backup", str(dump), *pg_args)
    restored = houqin(settings, tmp_path, fresh_database, "restore", str(dump), *pg_args)
    reconciled = houqin(settings, tmp_path, fresh_database, "reconcile")

    # then
    assert backed_up.returncode == 0, backed_up.stderr
    assert "HOUQIN_DATA_KEY" in backed_up.stdout
    assert restored.returncode == 0, restored.stderr
    assert "对账通过" in restored.stdout
    assert reconciled.returncode == 0, reconciled.stderr
    assert "对账通过" in reconciled.stdout
    original = await _books(requires_postgres)
    assert len(original["payments"]) == 4 and len(original["ledger"]) > 4
    assert await _books(fresh_database) == original


async def test_restore_into_a_database_that_has_tables_is_refused_and_changes_nothing(
    settings, requires_postgres, pg_args, fresh_database, two_canteens, tmp_path
):
    # given: a backup, and a database someone already put a table in
    dump = tmp_path / "houqin.dump"
    assert houqin(settings, tmp_path, requires_postgres, "backup", str(dump), *pg_args).returncode == 0
    conn = await _connect(fresh_database)
    try:
        await conn.execute("CREATE TABLE leftover (id int)")

        # when
        refused = houqin(settings, tmp_path, fresh_database, "restore", str(dump), *pg_args)

        # then
        assert refused.returncode == 1
        assert "不是空的" in refused.stderr
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert [row["tablename"] for row in tables] == ["leftover"]
    finally:
        await conn.close()


def test_backup_of_the_embedded_database_says_to_copy_the_var_directory(settings, tmp_path):
    done = houqin(settings, tmp_path, f"sqlite://{tmp_path / 'houqin.sqlite3'}", "backup", str(tmp_path / "x.dump"))

    assert done.returncode == 1
    assert "var/" in done.stderr
    assert not (tmp_path / "x.dump").exists()


async def test_a_failed_backup_leaves_no_file_that_looks_like_one(settings, requires_postgres, pg_args, tmp_path):
    missing = urlunsplit(urlsplit(requires_postgres)._replace(path=f"/no_such_database_{secrets.token_hex(4)}"))

    failed = houqin(settings, tmp_path, missing, "backup", str(tmp_path / "houqin.dump"), *pg_args)

    assert failed.returncode == 1
    assert "pg_dump 失败" in failed.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("houqin.dump")) == []
