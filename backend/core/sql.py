"""Hand-written SQL for the few hot paths (a payment at the lunch rush), where building each
query through the ORM costs more than running it.

Statements are written once, PostgreSQL style (`$1, $2, ...` in order, `FOR UPDATE`), and adapted
for SQLite (`?`, and no row locks: SQLite serialises writers). Values go through the model
fields' own conversions, so rows written here read back through the ORM exactly like its own.
"""

from __future__ import annotations

import re
from typing import Any

from tortoise.models import Model

_PLACEHOLDER = re.compile(r"\$(\d+)")
_ROW_LOCK = re.compile(r"\s+FOR UPDATE(?: OF \w+)?")


def _for_dialect(conn: Any, statement: str) -> str:
    if conn.capabilities.dialect != "sqlite":
        return statement
    numbers = [int(n) for n in _PLACEHOLDER.findall(statement)]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError("placeholders must be $1..$n, each once and in order, to run on SQLite")
    return _ROW_LOCK.sub("", _PLACEHOLDER.sub("?", statement))


def db_values(model: type[Model], **values: Any) -> list[Any]:
    """Values as the ORM would store them in the named fields, in the order given."""
    fields = model._meta.fields_map
    return [fields[name].to_db_value(value, model) if name in fields else value for name, value in values.items()]


def python_value(model: type[Model], field: str, value: Any) -> Any:
    return model._meta.fields_map[field].to_python_value(value)


async def rows(conn: Any, statement: str, *params: Any) -> list[dict]:
    return await conn.execute_query_dict(_for_dialect(conn, statement), list(params))


async def row(conn: Any, statement: str, *params: Any) -> dict | None:
    found = await rows(conn, statement, *params)
    return found[0] if found else None


async def execute(conn: Any, statement: str, *params: Any) -> int:
    """Run an UPDATE or DELETE; the number of rows it changed."""
    changed, _ = await conn.execute_query(_for_dialect(conn, statement), list(params))
    return changed
