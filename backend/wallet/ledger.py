"""The double-entry ledger: named accounts and transfers whose legs sum to zero.

Accounts are named, not stored: `wallet:<id>:cash`, `wallet:<id>:subsidy`,
`canteen:<id>:revenue`, `unit:<id>:subsidy_funding`, `wechatpay:clearing`, `offline:overdraft`,
`adjustment:manual`. A positive amount increases what the account holds. Only wallet accounts
keep a running balance (on the wallet row, in the same transaction); a hot account such as a
canteen's revenue is never updated in place, so payments never queue on one row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence

from backend.core import sql
from backend.wallet.models import Transfer, TransferKind

WECHATPAY_CLEARING = "wechatpay:clearing"
OFFLINE_OVERDRAFT = "offline:overdraft"
MANUAL_ADJUSTMENT = "adjustment:manual"


def wallet_cash(wallet_id: int) -> str:
    return f"wallet:{wallet_id}:cash"


def wallet_subsidy(wallet_id: int) -> str:
    return f"wallet:{wallet_id}:subsidy"


def canteen_revenue(canteen_id: int) -> str:
    return f"canteen:{canteen_id}:revenue"


def unit_subsidy_funding(unit_id: int) -> str:
    return f"unit:{unit_id}:subsidy_funding"


class UnbalancedTransfer(ValueError):
    """A transfer whose legs do not sum to zero: a programming error, never a user error."""


async def post(
    conn: Any,
    kind: TransferKind,
    legs: Sequence[tuple[str, int]],
    *,
    at: datetime,
    reference: str = "",
    memo: str = "",
    reverses_id: int | None = None,
    idempotency_key: str | None = None,
) -> int:
    """Write one transfer and its legs inside the caller's transaction; returns its id."""
    legs = [(account, amount) for account, amount in legs if amount]
    if sum(amount for _, amount in legs) != 0 or not legs:
        raise UnbalancedTransfer(f"{kind}: {legs}")
    header = sql.db_values(Transfer, kind=kind, at=at, reference=reference, memo=memo[:200], reverses_id=reverses_id,
                           idempotency_key=idempotency_key)
    if conn.capabilities.dialect == "postgres":
        # One round trip for the voucher and its legs: every payment passes here.
        legs_sql = ", ".join(f"(${7 + 2 * i}::varchar, ${8 + 2 * i}::bigint)" for i in range(len(legs)))
        inserted = await sql.row(
            conn,
            "WITH t AS (INSERT INTO wallet_transfer (kind, at, reference, memo, reverses_id, idempotency_key) "
            "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id), "
            "e AS (INSERT INTO wallet_ledger_entry (transfer_id, account, amount) "
            f"SELECT t.id, v.account, v.amount FROM t, (VALUES {legs_sql}) AS v(account, amount)) "
            "SELECT id FROM t",
            *header, *[value for leg in legs for value in leg],
        )
        return inserted["id"]
    inserted = await sql.row(
        conn,
        "INSERT INTO wallet_transfer (kind, at, reference, memo, reverses_id, idempotency_key) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        *header,
    )
    transfer_id = inserted["id"]
    values = ", ".join(f"(${3 * i + 1}, ${3 * i + 2}, ${3 * i + 3})" for i in range(len(legs)))
    await sql.execute(
        conn,
        f"INSERT INTO wallet_ledger_entry (transfer_id, account, amount) VALUES {values}",
        *[value for account, amount in legs for value in (transfer_id, account, amount)],
    )
    return transfer_id
