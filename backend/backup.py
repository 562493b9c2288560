"""Backup and restore of the PostgreSQL database (`houqin backup`, `houqin restore`).

A backup is pg_dump's custom format without owners or privileges, so that it restores into a
database of another cluster owned by another role. A restore goes only into a new, empty
database, in one transaction that stops at the first error: it either is the whole backup or
leaves the database as empty as it found it, and it never mixes a backup into live data. The
command then migrates (a backup of an older version is brought up to this one; for the same
version nothing happens) and reconciles the books.

What a backup does not hold, and must be kept apart from it: the data key (HOUQIN_DATA_KEY),
without which the personal data in it cannot be decrypted, and the files of the media storage
(MEDIA_STORAGE_URL: photos, labels, documents), which the rows only name.

The connection comes from DATABASE_URL, handed to pg_dump and pg_restore as libpq environment
variables, so that the password never shows on a command line (`ps` shows those).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url

from backend.core.config import Settings

# Relations of the application's schemas: a database holding any is not a place to restore into.
_USER_RELATIONS = """
SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
"""


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in Chinese."""


def _credentials(settings: Settings) -> dict:
    if not settings.is_postgres:
        raise BackupError(
            "备份与恢复只用于 PostgreSQL（DATABASE_URL=postgres://…）；内嵌模式请停止服务后复制 var/ 目录"
        )
    # Tortoise also spells it postgresql:// or asyncpg://; its parser knows only postgres://.
    return expand_db_url("postgres://" + settings.database_url.split("://", 1)[1])["credentials"]


def _libpq_environment(credentials: dict) -> dict[str, str]:
    env = {**os.environ, "PGHOST": str(credentials["host"]), "PGPORT": str(credentials["port"])}
    env["PGUSER"] = str(credentials["user"])
    if credentials.get("password"):
        env["PGPASSWORD"] = str(credentials["password"])
    return env


def _tool(name: str, pg_bin: str) -> str:
    """The PostgreSQL client program `name`, from `pg_bin` if given (its version must be at least
    the server's: /usr/lib/postgresql/<version>/bin on Debian), else from PATH."""
    found = shutil.which(name, path=pg_bin) if pg_bin else shutil.which(name)
    if found is None:
        where = f"在 {pg_bin} 中" if pg_bin else "在 PATH 中"
        raise BackupError(
            f"{where}找不到 {name}：请安装与数据库服务器版本相同的 PostgreSQL 客户端（如 postgresql-client-15）"
        )
    return found


def backup(settings: Settings, target: Path, pg_bin: str = "") -> int:
    """Dump the database to `target` (custom format); the size in bytes. The dump is written
    beside it first and renamed when complete: a failed one never looks like a backup."""
    credentials = _credentials(settings)
    partial = target.with_name(target.name + ".partial")
    command = [
        _tool("pg_dump", pg_bin),
        "--format=custom",
        "--no-owner",
        "--no-acl",
        f"--file={partial}",
        f"--dbname={credentials['database']}",
    ]
    try:
        done = subprocess.run(command, env=_libpq_environment(credentials))
        if done.returncode != 0:
            raise BackupError(f"pg_dump 失败（退出码 {done.returncode}），未生成备份")
    except BaseException:  # a failure or an interruption (Ctrl-C) leaves no partial file behind
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    return target.stat().st_size


async def _relations(credentials: dict) -> int:
    try:
        conn = await asyncpg.connect(
            host=credentials["host"],
            port=credentials["port"],
            user=credentials["user"],
            password=credentials.get("password"),
            database=credentials["database"],
        )
    except (OSError, asyncpg.PostgresError) as problem:
        raise BackupError(
            f"无法连接目标数据库 {credentials['database']}（{problem}）：请先新建一个空数据库（createdb）"
        ) from None
    try:
        return int(await conn.fetchval(_USER_RELATIONS))
    finally:
        await conn.close()


async def restore(settings: Settings, source: Path, pg_bin: str = "") -> None:
    """Restore the backup `source` into the (new, empty) database of DATABASE_URL, all or nothing."""
    credentials = _credentials(settings)
    if not source.is_file():
        raise BackupError(f"找不到备份文件 {source}")
    existing = await _relations(credentials)
    if existing:
        raise BackupError(
            f"目标数据库 {credentials['database']} 不是空的（已有 {existing} 个表或序列）："
            "恢复只写入新建的空数据库，不会覆盖或混入现有数据"
        )
    done = subprocess.run(
        [
            _tool("pg_restore", pg_bin),
            "--exit-on-error",
            "--single-transaction",
            "--no-owner",
            "--no-acl",
            f"--dbname={credentials['database']}",
            str(source),
        ],
        env=_libpq_environment(credentials),
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore 失败（退出码 {done.returncode}），目标数据库保持原样（空）")
