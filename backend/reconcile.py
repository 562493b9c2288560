"""Reconciliation (`houqin reconcile`): proves the books' invariants or names what breaks them.

Each module contributes its checks (`reconcile` in its module.py: the wallet's ledger and
balances, the canteen's payments and daily revenue, ...). All of them read one snapshot
(REPEATABLE READ on PostgreSQL), so payments committing while it runs cannot make the books look
unbalanced.
"""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from backend.core.modules import resolve
from backend.modules import modules


async def check(day: date) -> list[str]:
    """Every broken invariant, in words; an empty list means the books are clean."""
    async with in_transaction() as conn:
        if conn.capabilities.dialect == "postgres":
            await conn.execute_script("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        problems: list[str] = []
        for module in modules():
            for reference in module.reconcile:
                problems += await resolve(reference)(conn, day)
        return problems
