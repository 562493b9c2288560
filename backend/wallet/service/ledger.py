"""The double-entry ledger: named accounts and transfers whose legs sum to zero.

Accounts are named, not stored: `wallet:<id>:cash`, `wallet:<id>:subsidy`,
`canteen:<id>:revenue`, `unit:<id>:subsidy_funding`, `wechatpay:clearing`, `offline:overdraft`,
`adjustment:manual`, `refunds:payable` (cash paid back to people at the finance desk), and the
shop's `shop:revenue` and `shop:supplier:<id>:settled` (named by the shop), and charging's
`charging:revenue` and `charging:unit:<id>:fleet` (a unit's official cars' charging cost, named
by charging). A positive
amount increases what the account holds. Only wallet accounts
keep a running balance (on the wallet row, in the same transaction); a hot account such as a
canteen's revenue is never updated in place, so payments never queue on one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise.expressions import Subquery
from tortoise.functions import Sum

from backend.core import sql
from backend.wallet.models import LedgerEntry, Transfer, TransferKind

WECHATPAY_CLEARING = "wechatpay:clearing"
OFFLINE_OVERDRAFT = "offline:overdraft"
MANUAL_ADJUSTMENT = "adjustment:manual"
REFUNDS_PAYABLE = "refunds:payable"


def wallet_cash(wallet_id: int) -> str:
    return f"wallet:{wallet_id}:cash"


def wallet_subsidy(wallet_id: int) -> str:
    return f"wallet:{wallet_id}:subsidy"


def canteen_revenue(canteen_id: int) -> str:
    return f"canteen:{canteen_id}:revenue"


def unit_subsidy_funding(unit_id: int) -> str:
    return f"unit:{unit_id}:subsidy_funding"


# What each kind of account is to a person reading a wallet's line, by its name up to the first colon.
_ACCOUNT_LABELS = {
    "wallet": "一卡通账户",
    "canteen": "食堂营业收入",
    "unit": "单位餐补经费",
    "wechatpay": "微信支付",
    "offline": "脱机透支垫付",
    "adjustment": "人工调账",
    "refunds": "财务退款",
    "shop": "共富食味坊",
    "charging": "充电桩",
}


def account_label(account: str) -> str:
    """An account as a person reads it: its kind in Chinese (the name itself if unknown)."""
    return _ACCOUNT_LABELS.get(account.split(":", 1)[0], account)


class UnbalancedTransfer(ValueError):
    """A transfer whose legs do not sum to zero: a programming error, never a user error."""


def _checked(kind: TransferKind, legs: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    legs = [(account, amount) for account, amount in legs if amount]
    if sum(amount for _, amount in legs) != 0 or not legs:
        raise UnbalancedTransfer(f"{kind}: {legs}")
    return legs


def _header(
    kind: TransferKind, at: datetime, reference: str, memo: str, reverses_id: int | None, idempotency_key: str | None
) -> list[Any]:
    """The voucher row's values, as the ORM would store them (the memo cut to its column)."""
    return sql.db_values(
        Transfer,
        kind=kind,
        at=at,
        reference=reference,
        memo=memo[:200],
        reverses_id=reverses_id,
        idempotency_key=idempotency_key,
    )


def transfer_ctes(
    kind: TransferKind,
    legs: Sequence[tuple[str, int]],
    *,
    at: datetime,
    reference: str = "",
    memo: str = "",
    reverses_id: int | None = None,
    idempotency_key: str | None = None,
    first: int = 1,
) -> tuple[str, list[Any]]:
    """PostgreSQL: the voucher and its legs as two common table expressions, `t` (the voucher,
    returning its id) and `e` (the legs), with parameters numbered from `first`; for a caller
    that writes them in the same statement as its own change."""
    legs = _checked(kind, legs)
    header = _header(kind, at, reference, memo, reverses_id, idempotency_key)
    n = first
    legs_sql = ", ".join(f"(${n + 6 + 2 * i}::varchar, ${n + 7 + 2 * i}::bigint)" for i in range(len(legs)))
    statement = (
        "t AS (INSERT INTO wallet_transfer (kind, at, reference, memo, reverses_id, idempotency_key) "
        f"VALUES (${n}, ${n + 1}, ${n + 2}, ${n + 3}, ${n + 4}, ${n + 5}) RETURNING id), "
        "e AS (INSERT INTO wallet_ledger_entry (transfer_id, account, amount) "
        f"SELECT t.id, v.account, v.amount FROM t, (VALUES {legs_sql}) AS v(account, amount))"
    )
    return statement, [*header, *[value for leg in legs for value in leg]]


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
    legs = _checked(kind, legs)
    if conn.capabilities.dialect == "postgres":
        # One round trip for the voucher and its legs.
        ctes, params = transfer_ctes(
            kind, legs, at=at, reference=reference, memo=memo, reverses_id=reverses_id, idempotency_key=idempotency_key
        )
        return (await sql.row(conn, f"WITH {ctes} SELECT id FROM t", *params))["id"]
    header = _header(kind, at, reference, memo, reverses_id, idempotency_key)
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


async def leg_amounts(conn: Any, transfer_ids: list[int], account_prefix: str) -> dict[int, int]:
    """transfer id -> amount of its leg on an account starting with `account_prefix`."""
    legs = LedgerEntry.filter(transfer_id__in=transfer_ids, account__startswith=account_prefix).using_db(conn)
    return dict(await legs.values_list("transfer_id", "amount"))


async def account_sums_between(conn: Any, account_prefix: str, start: datetime, end: datetime) -> dict[str, int]:
    """Per account starting with `account_prefix`: the sum of the legs of transfers made in [start, end)."""
    transfers = Transfer.filter(at__gte=start, at__lt=end).using_db(conn).values_list("id", flat=True)
    rows = (
        await LedgerEntry.filter(account__startswith=account_prefix, transfer_id__in=Subquery(transfers))
        .using_db(conn)
        .annotate(total=Sum("amount"))
        .group_by("account")
        .values_list("account", "total")
    )
    return {account: int(total or 0) for account, total in rows}


async def references_between(conn: Any, kind: TransferKind, start: datetime, end: datetime) -> list[str]:
    """The references of the transfers of `kind` made in [start, end)."""
    return list(
        await Transfer.filter(at__gte=start, at__lt=end, kind=kind).using_db(conn).values_list("reference", flat=True)
    )


async def account_balance(conn: Any, account: str) -> int:
    """What an account holds: the sum of all its legs (for a module's reconciliation of the
    accounts it names, such as the shop's revenue)."""
    total = (
        await LedgerEntry.filter(account=account)
        .using_db(conn)
        .annotate(total=Sum("amount"))
        .first()
        .values_list("total", flat=True)
    )
    return int(total or 0)
