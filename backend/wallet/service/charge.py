"""The one charge operation (扣款): what every payment from a wallet goes through.

card → holder → locked wallet → the caller's terms (its price and limits, counted under the
lock) → subsidy/cash split → the conditional debit → the voucher with its legs, and the caller's
own row (a canteen payment) written with them. The caller knows what is sold and its rules; the
wallet knows cards, holders, balances and the ledger, and alone writes their tables.

On PostgreSQL the debit, the voucher, its legs and the caller's row are ONE statement (one round
trip at the lunch rush); every part of it runs, and a debit that found the money missing is
reported back and refused, which rolls the caller's transaction back whole. On SQLite they are
separate statements in the same transaction.

A refusal of the wallet's own (an unknown or lost card, a holder who left, the balance) is a
`ChargeRefused` naming its `ChargeRefusal`; the caller words it for its people. Whatever a
callback raises passes through unchanged, after the transaction is rolled back.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.accounts.service.people import PersonSummary
from backend.core import sql
from backend.wallet.models import Card, CardState, TransferKind
from backend.wallet.service import ledger, wallets


class ChargeRefusal(StrEnum):
    UNKNOWN_CARD = "unknown_card"
    CARD_LOST = "card_lost"
    CARD_CANCELLED = "card_cancelled"
    PERSON_INACTIVE = "person_inactive"
    INSUFFICIENT_BALANCE = "insufficient_balance"


class ChargeRefused(Exception):
    """The wallet refused the charge; nothing was written."""

    def __init__(self, reason: ChargeRefusal):
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class HeldCard:
    """A card with its holder."""

    uid: str
    state: CardState
    state_changed_at: datetime | None
    holder: PersonSummary


@dataclass(frozen=True)
class LockedWallet:
    """The payer's wallet as read under its row lock, with its holder."""

    id: int
    holder: PersonSummary
    cash_balance: int
    subsidy_balance: int
    closed: bool


@dataclass(frozen=True)
class ChargeTerms:
    """What to take, as the caller decided it under the wallet's lock: the amount, how much of
    it subsidy may pay, and whether subsidy already paid part of the same occasion (a meal)."""

    amount_fen: int
    subsidy_cap_fen: int
    subsidy_used: bool = False


@dataclass(frozen=True)
class Split:
    """How an amount is paid: `subsidy_fen + cash_fen` is the amount; `overdraft_fen` is the part
    of `cash_fen` the cash balance does not cover (only an offline payment may be advanced it)."""

    subsidy_fen: int
    cash_fen: int
    overdraft_fen: int = 0


def split_payment(terms: ChargeTerms, *, cash_balance: int, subsidy_balance: int) -> Split:
    """Subsidy first, up to its cap and never twice for one occasion, then cash; what the cash
    balance lacks is the overdraft."""
    subsidy = 0 if terms.subsidy_used else min(max(subsidy_balance, 0), terms.subsidy_cap_fen, terms.amount_fen)
    cash = terms.amount_fen - subsidy
    return Split(subsidy, cash, max(cash - max(cash_balance, 0), 0))


@dataclass(frozen=True)
class Charged:
    """A charge about to be written (the caller's row is made from it) or written."""

    wallet: LockedWallet
    terms: ChargeTerms
    split: Split
    transfer_id: int | None = None

    @property
    def cash_after(self) -> int:
        return self.wallet.cash_balance + self.split.overdraft_fen - self.split.cash_fen

    @property
    def subsidy_after(self) -> int:
        return self.wallet.subsidy_balance - self.split.subsidy_fen


class _TransferId:
    def __repr__(self) -> str:
        return "TRANSFER_ID"


# Marks the column of an `ExtraInsert` that receives the id of the charge's voucher.
TRANSFER_ID: Any = _TransferId()

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class ExtraInsert:
    """The caller's own row, written in the same statement as the charge: its table, and its
    values by column as they are stored (`sql.db_values`); `TRANSFER_ID` marks the column that
    receives the voucher's id."""

    table: str
    values: Mapping[str, Any]

    def __post_init__(self) -> None:
        names = [self.table, *self.values]
        if not all(_IDENTIFIER.match(name) for name in names):
            raise ValueError(f"not SQL identifiers: {names}")


def card_refusal(state: CardState, holder: PersonSummary) -> ChargeRefusal | None:
    """Why a card cannot pay now, None if it can: a lost or cancelled card is refused on its
    state (hosts' clocks may differ), then a holder no longer on the roster."""
    if state != CardState.ACTIVE:
        return ChargeRefusal.CARD_LOST if state == CardState.LOST else ChargeRefusal.CARD_CANCELLED
    if not holder.is_active:
        return ChargeRefusal.PERSON_INACTIVE
    return None


_PERSON_COLUMNS, _PERSON_JOIN = people.person_join("c.person_id")
_CARD = (
    f"SELECT c.uid, c.state, c.state_changed_at, {_PERSON_COLUMNS} FROM wallet_card c {_PERSON_JOIN} WHERE c.uid = $1"
)


def _held_card(row: dict) -> HeldCard:
    return HeldCard(
        uid=row["uid"],
        state=CardState(row["state"]),
        state_changed_at=sql.python_value(Card, "state_changed_at", row["state_changed_at"]),
        holder=people.summary_of_row(row),
    )


async def find_card(uid: str) -> HeldCard | None:
    """The card of a normalised UID (`wallets.normalize_uid`) with its holder, in one statement."""
    row = await sql.row(connections.get("default"), _CARD, uid)
    return None if row is None else _held_card(row)


# Who pays and the lock on their wallet, in one statement: the lunch rush is short of round trips.
_WALLET_COLUMNS = "w.id, w.cash_balance, w.subsidy_balance, w.closed_at"
_CARD_AND_WALLET = (
    f"SELECT c.uid, c.state, c.state_changed_at, {_PERSON_COLUMNS}, {_WALLET_COLUMNS} "
    f"FROM wallet_card c {_PERSON_JOIN} JOIN wallet_wallet w ON w.person_id = c.person_id "
    "WHERE c.uid = $1 FOR UPDATE OF w"
)
_WALLET = f"SELECT {_WALLET_COLUMNS} FROM wallet_wallet w WHERE w.person_id = $1 FOR UPDATE"
_CARD_HOLDER_ID = "SELECT person_id FROM wallet_card WHERE uid = $1"


class _NoWallet(Exception):
    """The person has never had a wallet: create it outside the charge's transaction, retry."""

    def __init__(self, person_id: int):
        super().__init__(person_id)
        self.person_id = person_id


def _locked(row: dict, holder: PersonSummary) -> LockedWallet:
    return LockedWallet(row["id"], holder, row["cash_balance"], row["subsidy_balance"], row["closed_at"] is not None)


async def _lock(conn: Any, payer: str | PersonSummary) -> LockedWallet:
    if isinstance(payer, PersonSummary):
        row = await sql.row(conn, _WALLET, payer.id)
        if row is None:
            raise _NoWallet(payer.id)
        return _locked(row, payer)
    row = await sql.row(conn, _CARD_AND_WALLET, payer)
    if row is None:
        holder = await sql.row(conn, _CARD_HOLDER_ID, payer)
        if holder is None:
            raise ChargeRefused(ChargeRefusal.UNKNOWN_CARD)
        raise _NoWallet(holder["person_id"])
    card = _held_card(row)
    if (refusal := card_refusal(card.state, card.holder)) is not None:
        raise ChargeRefused(refusal)
    return _locked(row, card.holder)


async def charge(
    payer: str | PersonSummary,
    *,
    at: datetime,
    terms: Callable[[Any, LockedWallet], Awaitable[ChargeTerms]],
    revenue_account: str,
    reference: str,
    memo: str,
    extra: Callable[[Charged], ExtraInsert],
    kind: TransferKind = TransferKind.CANTEEN_PAYMENT,
    allow_overdraft: bool = False,
) -> Charged:
    """Charge the wallet of `payer` (a normalised card UID, or a person the caller identified)
    and credit `revenue_account`, in one transaction.

    A card must be active and its holder on the roster (`card_refusal`); a person is taken as
    the caller found them. With the wallet locked, `terms(conn, wallet)` says what to take (it
    may read on `conn` and raise to refuse); the amount is split (`split_payment`); a cash
    balance short of its part is refused, unless `allow_overdraft` (a payment that already
    happened offline), where the offline-overdraft account advances what is missing. Then the
    debit, the voucher (`at`, `reference`, `memo`) and the caller's `extra(charged)` row are
    written together."""
    once = functools.partial(
        _charge_once, payer, at, terms, revenue_account, reference, memo, extra, kind, allow_overdraft
    )
    try:
        return await once()
    except _NoWallet as missing:
        await wallets.ensure_wallet(missing.person_id)
        return await once()


async def _charge_once(
    payer: str | PersonSummary,
    at: datetime,
    terms: Callable[[Any, LockedWallet], Awaitable[ChargeTerms]],
    revenue_account: str,
    reference: str,
    memo: str,
    extra: Callable[[Charged], ExtraInsert],
    kind: TransferKind,
    allow_overdraft: bool,
) -> Charged:
    async with in_transaction() as conn:
        wallet = await _lock(conn, payer)
        agreed = await terms(conn, wallet)
        split = split_payment(agreed, cash_balance=wallet.cash_balance, subsidy_balance=wallet.subsidy_balance)
        if split.overdraft_fen and not allow_overdraft:
            raise ChargeRefused(ChargeRefusal.INSUFFICIENT_BALANCE)
        if split.overdraft_fen:
            await wallets.advance_overdraft(conn, wallet.id, split.overdraft_fen, at=at, reference=reference)
        charged = Charged(wallet, agreed, split)
        legs = [
            (ledger.wallet_subsidy(wallet.id), -split.subsidy_fen),
            (ledger.wallet_cash(wallet.id), -split.cash_fen),
            (revenue_account, agreed.amount_fen),
        ]
        voucher = {"at": at, "reference": reference, "memo": memo}
        transfer_id = await _write(conn, wallet.id, split, kind, legs, voucher, extra(charged))
    return Charged(wallet, agreed, split, transfer_id)


async def _write(
    conn: Any, wallet_id: int, split: Split, kind: TransferKind, legs: list, voucher: dict, row: ExtraInsert
) -> int:
    """Debit, post the voucher and insert the caller's row; the voucher's id. A debit that found
    the money missing raises (the caller's transaction then keeps none of it)."""
    if conn.capabilities.dialect == "postgres":
        return await _write_at_once(conn, wallet_id, split, kind, legs, voucher, row)
    if not await wallets.debit(conn, wallet_id, cash=split.cash_fen, subsidy=split.subsidy_fen):
        raise ChargeRefused(ChargeRefusal.INSUFFICIENT_BALANCE)
    transfer_id = await ledger.post(conn, kind, legs, **voucher)
    values = [transfer_id if value is TRANSFER_ID else value for value in row.values.values()]
    placeholders = ", ".join(f"${i + 1}" for i in range(len(values)))
    await sql.execute(conn, f"INSERT INTO {row.table} ({', '.join(row.values)}) VALUES ({placeholders})", *values)
    return transfer_id


async def _write_at_once(
    conn: Any, wallet_id: int, split: Split, kind: TransferKind, legs: list, voucher: dict, row: ExtraInsert
) -> int:
    """PostgreSQL: `_write` as one statement, its placeholders numbered here: the debit's ($1-$3),
    the voucher's and its legs' (`ledger.transfer_ctes`), then the caller's row's."""
    debit = f"d AS ({wallets.debit_statement('$1', '$2', '$3', '$1', '$2')} RETURNING id)"
    ctes, params = ledger.transfer_ctes(kind, legs, first=4, **voucher)
    placeholders: list[str] = []
    values: list[Any] = []
    for value in row.values.values():
        if value is TRANSFER_ID:
            placeholders.append("(SELECT id FROM t)")
        else:
            values.append(value)
            placeholders.append(f"${3 + len(params) + len(values)}")
    written = await sql.row(
        conn,
        f"WITH {debit}, {ctes}, x AS (INSERT INTO {row.table} ({', '.join(row.values)}) "
        f"VALUES ({', '.join(placeholders)})) "
        "SELECT (SELECT count(*) FROM d) AS debited, (SELECT id FROM t) AS transfer_id",
        split.cash_fen,
        split.subsidy_fen,
        wallet_id,
        *params,
        *values,
    )
    if written is None or written["debited"] != 1:
        raise ChargeRefused(ChargeRefusal.INSUFFICIENT_BALANCE)
    return written["transfer_id"]
