"""A wallet's statement (对账单) over a range of business days: every ledger line of the wallet
in the range, oldest first, with what it was, what stood on the other side and the reference
the ledger keeps (a canteen terminal's transaction, a top-up order), the cash and subsidy it
moved and the balances after it; the opening balance at the start, the closing balance at the
end, and the totals in and out.

The balance after each line is the opening balance (the sum of every earlier line) plus a
window sum over the range's lines, in the database: a page deep into a long range costs one
statement, not a walk over the lines before it, and the page, the opening balance and the
totals are read in that one statement, so they agree even while payments land. Lines are
ordered by their moment, then by voucher id, which is also the order the window sums them in.
Days are Asia/Shanghai business days. SQLite stores moments as text with the offset they were
written with, so there they are compared as Julian days: a moment written in UTC sorts and
bounds like the same moment in Beijing time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tortoise import connections

from backend.core import sql
from backend.core.timeutil import BUSINESS_TZ, day_start
from backend.wallet.errors import WalletError
from backend.wallet.models import LedgerEntry, Transfer, TransferKind
from backend.wallet.service import ledger, wallets

# One statement covers at most a year (a leap year's); the export holds all of its lines.
MAX_DAYS = 366
# Far more lines than a wallet makes in MAX_DAYS days: the export is never cut short.
_ALL_LINES = 1_000_000


def check_range(start: date, end: date) -> None:
    """Refuse a range that ends before it starts or spans more than MAX_DAYS days."""
    if end < start:
        raise WalletError.STATEMENT_RANGE_REVERSED.error()
    if (end - start).days + 1 > MAX_DAYS:
        raise WalletError.STATEMENT_RANGE_TOO_LONG.error(days=MAX_DAYS)


def _moment(conn: Any, expression: str) -> str:
    return f"julianday({expression})" if conn.capabilities.dialect == "sqlite" else expression


def _statement_sql(conn: Any) -> str:
    """Parameters, in the order they appear: the cash and subsidy accounts ($1-$4), the range's
    first and first-after moments ($5, $6); the accounts again and the first moment for the
    opening balance ($7-$11); the page's LIMIT and OFFSET ($12, $13)."""
    at = _moment(conn, "t.at")
    return f"""
WITH lines AS (
  SELECT t.id, t.kind, t.at, t.reference, t.memo, {at} AS moment,
    SUM(CASE WHEN e.account = $1 THEN e.amount ELSE 0 END) AS cash,
    SUM(CASE WHEN e.account = $2 THEN e.amount ELSE 0 END) AS subsidy
  FROM wallet_ledger_entry e JOIN wallet_transfer t ON t.id = e.transfer_id
  WHERE e.account IN ($3, $4) AND {at} >= {_moment(conn, "$5")} AND {at} < {_moment(conn, "$6")}
  GROUP BY t.id, t.kind, t.at, t.reference, t.memo
),
opening AS (
  SELECT COALESCE(SUM(CASE WHEN e.account = $7 THEN e.amount ELSE 0 END), 0) AS opening_cash,
    COALESCE(SUM(CASE WHEN e.account = $8 THEN e.amount ELSE 0 END), 0) AS opening_subsidy
  FROM wallet_ledger_entry e JOIN wallet_transfer t ON t.id = e.transfer_id
  WHERE e.account IN ($9, $10) AND {at} < {_moment(conn, "$11")}
),
running AS (
  SELECT l.*, o.opening_cash + SUM(l.cash) OVER w AS cash_after,
    o.opening_subsidy + SUM(l.subsidy) OVER w AS subsidy_after
  FROM lines l CROSS JOIN opening o
  WINDOW w AS (ORDER BY l.moment, l.id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
page AS (SELECT * FROM running ORDER BY moment, id LIMIT $12 OFFSET $13),
totals AS (
  SELECT COUNT(*) AS line_count,
    COALESCE(SUM(CASE WHEN cash > 0 THEN cash ELSE 0 END), 0) AS cash_in,
    COALESCE(SUM(CASE WHEN cash < 0 THEN cash ELSE 0 END), 0) AS cash_out,
    COALESCE(SUM(CASE WHEN subsidy > 0 THEN subsidy ELSE 0 END), 0) AS subsidy_in,
    COALESCE(SUM(CASE WHEN subsidy < 0 THEN subsidy ELSE 0 END), 0) AS subsidy_out
  FROM lines
)
SELECT o.opening_cash, o.opening_subsidy, s.line_count, s.cash_in, s.cash_out, s.subsidy_in, s.subsidy_out,
  p.id, p.kind, p.at, p.reference, p.memo, p.cash, p.subsidy, p.cash_after, p.subsidy_after
FROM opening o CROSS JOIN totals s LEFT JOIN page p ON 1 = 1
ORDER BY p.moment, p.id
"""


def _balance(cash: int, subsidy: int) -> dict:
    return {"cash_fen": cash, "subsidy_fen": subsidy, "total_fen": cash + subsidy}


def counterparty(accounts: list[str]) -> str:
    """The other side of a line as a person reads it, from the other legs' account names."""
    return "、".join(dict.fromkeys(ledger.account_label(account) for account in sorted(accounts)))


def reference_text(reference: str) -> str:
    """What a voucher's reference tells a person: the terminal and its transaction number, the
    top-up order, the payment a refund reverses, the subsidy's month; nothing for an admin's."""
    kind, _, rest = reference.partition(":")
    if kind == "terminal":
        terminal, _, txn_no = rest.partition(":")
        return f"终端 {terminal} · 流水号 {txn_no}"
    if kind == "topup":
        return f"充值单号 {rest}"
    if kind == "payment":
        return f"原消费记录 {rest}"
    if kind in ("subsidy", "subsidy-expiry"):
        return f"{rest.partition(':')[0]} 月餐补"
    return ""


async def statement(person_id: int, start: date, end: date, *, offset: int = 0, limit: int | None = None) -> dict:
    """The person's wallet statement for the business days `start` to `end` (both included):
    opening and closing balances, totals in (positive) and out (negative), the number of lines,
    and the lines from `offset`, at most `limit` of them (all without a limit)."""
    check_range(start, end)
    wallet = await wallets.ensure_wallet(person_id)
    conn = connections.get("default")
    cash, subsidy = ledger.wallet_cash(wallet.id), ledger.wallet_subsidy(wallet.id)
    [first] = sql.db_values(Transfer, at=day_start(start))
    [after] = sql.db_values(Transfer, at=day_start(end + timedelta(days=1)))
    rows = await sql.rows(
        conn,
        _statement_sql(conn),
        *(cash, subsidy, cash, subsidy, first, after),
        *(cash, subsidy, cash, subsidy, first),
        _ALL_LINES if limit is None else limit,
        offset,
    )
    head = rows[0]
    opening = (int(head["opening_cash"]), int(head["opening_subsidy"]))
    totals = {k: int(head[k]) for k in ("cash_in", "cash_out", "subsidy_in", "subsidy_out")}
    page = [row for row in rows if row["id"] is not None]
    others = await _other_accounts([row["id"] for row in page], [cash, subsidy])
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "opening": _balance(*opening),
        "closing": _balance(
            opening[0] + totals["cash_in"] + totals["cash_out"],
            opening[1] + totals["subsidy_in"] + totals["subsidy_out"],
        ),
        "totals": {f"{k}_fen": v for k, v in totals.items()},
        "count": int(head["line_count"]),
        "lines": [_line(row, others.get(row["id"], [])) for row in page],
    }


async def _other_accounts(transfer_ids: list[int], wallet_accounts: list[str]) -> dict[int, list[str]]:
    legs = LedgerEntry.filter(transfer_id__in=transfer_ids).exclude(account__in=wallet_accounts)
    found: dict[int, list[str]] = {}
    for transfer_id, account in await legs.values_list("transfer_id", "account"):
        found.setdefault(transfer_id, []).append(account)
    return found


def _line(row: dict, other_accounts: list[str]) -> dict:
    kind = TransferKind(row["kind"])
    at: datetime = sql.python_value(Transfer, "at", row["at"])
    return {
        "transfer_id": row["id"],
        "at": at.astimezone(BUSINESS_TZ).isoformat(),
        "kind": kind.value,
        "kind_label": kind.label,
        "memo": row["memo"],
        "reference": reference_text(row["reference"]),
        "counterparty": counterparty(other_accounts),
        "cash_fen": int(row["cash"]),
        "subsidy_fen": int(row["subsidy"]),
        "cash_after_fen": int(row["cash_after"]),
        "subsidy_after_fen": int(row["subsidy_after"]),
        "total_after_fen": int(row["cash_after"]) + int(row["subsidy_after"]),
    }
