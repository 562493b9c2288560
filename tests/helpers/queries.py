"""The statements a piece of code runs, for tests that hold a read to a few queries or to few
parameters whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tortoise import connections


@contextmanager
def recorded_queries(connection: str = "default") -> Iterator[list[tuple[str, list]]]:
    """The (query, values) of every statement run on `connection` inside the block; the
    connection runs its own `execute_query` again afterwards."""
    conn = connections.get(connection)
    executed: list[tuple[str, list]] = []
    original = conn.execute_query

    async def recording(query: str, values: list | None = None):
        executed.append((query, values or []))
        return await original(query, values)

    conn.execute_query = recording
    try:
        yield executed
    finally:
        # The recorder was set on the instance; removing it uncovers the class's method again.
        del conn.execute_query
