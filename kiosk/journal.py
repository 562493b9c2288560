"""The offline journal (脱机流水): payments taken while the backend could not be reached.

A SQLite file in WAL mode with `synchronous=FULL`: `append` returns only once the entry is on
disk, so the screen says "paid" only for a payment that survives `kill -9` or a power cut. An
entry is marked uploaded only after the backend has answered for it, so a crash between the
upload and the mark uploads it again, which the backend answers as a duplicate (it keys on the
terminal's transaction number). Entries are uploaded in the order they were taken.

The journal also keeps the little the agent must remember across restarts while offline: the
risk parameters last received and when the backend was last reached.

An online attempt that got no answer and was then refused offline is journaled too, as a voided
entry (`voided`, amount 0): the backend may have applied the attempt after all, and the upload
lets it find such a charge and put it before a canteen manager. A voided entry took no meal, so
it does not count toward the card's offline payments of the day, nor of the meal.

The methods block (each commit waits for the disk): the agent calls them in a worker thread.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

PAYMENT_TABLE = """
CREATE TABLE IF NOT EXISTS offline_payment (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    txn_no TEXT NOT NULL UNIQUE,
    card_uid TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0 OR voided = 1),
    paid_at TEXT NOT NULL,
    business_date TEXT NOT NULL,
    uploaded_at TEXT,
    upload_result TEXT,
    voided INTEGER NOT NULL DEFAULT 0
)"""
PRE_VOIDED_COLUMNS = "seq, txn_no, card_uid, amount_fen, paid_at, business_date, uploaded_at, upload_result"
SCHEMA = (
    PAYMENT_TABLE
    + """;
CREATE INDEX IF NOT EXISTS offline_payment_pending ON offline_payment (seq) WHERE uploaded_at IS NULL;
CREATE INDEX IF NOT EXISTS offline_payment_card_day ON offline_payment (card_uid, business_date);
"""
)

MEMO_TABLE = "CREATE TABLE IF NOT EXISTS memo (key TEXT PRIMARY KEY, value TEXT NOT NULL)"

# Uploaded entries are kept a while for a person looking into a complaint, then dropped.
KEEP_UPLOADED = timedelta(days=90)


def _utc(moment: datetime) -> str:
    """Upload times as UTC text, so that comparing the text compares the times."""
    return moment.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class JournalEntry:
    txn_no: str
    card_uid: str
    amount_fen: int
    paid_at: datetime
    business_date: date
    voided: bool = False


class SqliteStore:
    """A SQLite file in WAL mode with `synchronous=FULL` (a write is on disk when it returns), with
    a memo of keyed values the agent keeps across restarts. Subclasses add their tables."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise RuntimeError(f"the journal {path} cannot use WAL mode (got {mode})")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(MEMO_TABLE)

    def _write(self, sql: str, rows: list[tuple]) -> int:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                changed = sum(self._db.execute(sql, row).rowcount for row in rows)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return changed

    def _read(self, sql: str, *args: object) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def remember(self, key: str, value: str) -> None:
        self._write(
            "INSERT INTO memo (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(key, value)],
        )

    def recall(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM memo WHERE key = ?", key)
        return rows[0][0] if rows else None

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Journal(SqliteStore):
    def __init__(self, path: Path):
        super().__init__(path)
        self._add_voided_column()
        self._db.executescript(SCHEMA)

    def _add_voided_column(self) -> None:
        """A journal written by a version before voided entries gets the column. The table is
        rebuilt rather than altered: its CHECK refuses the amount 0 of a voided entry, and SQLite
        cannot change a CHECK in place. Its indexes go with the old table and SCHEMA makes them
        again."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(offline_payment)")}
        if not columns or "voided" in columns:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("ALTER TABLE offline_payment RENAME TO offline_payment_before_voided")
            self._db.execute(PAYMENT_TABLE)
            self._db.execute(
                f"INSERT INTO offline_payment ({PRE_VOIDED_COLUMNS}) "
                f"SELECT {PRE_VOIDED_COLUMNS} FROM offline_payment_before_voided"
            )
            self._db.execute("DROP TABLE offline_payment_before_voided")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def append(self, entry: JournalEntry) -> None:
        """Record a payment; it is on disk when this returns. A number already used is refused
        (sqlite3.IntegrityError): a transaction number names one payment."""
        self._write(
            "INSERT INTO offline_payment (txn_no, card_uid, amount_fen, paid_at, business_date, voided) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    entry.txn_no,
                    entry.card_uid,
                    entry.amount_fen,
                    entry.paid_at.isoformat(),
                    entry.business_date.isoformat(),
                    int(entry.voided),
                )
            ],
        )

    def pending(self, limit: int) -> list[JournalEntry]:
        """The oldest `limit` entries not yet accepted by the backend, in the order taken."""
        rows = self._read(
            "SELECT txn_no, card_uid, amount_fen, paid_at, business_date, voided FROM offline_payment "
            "WHERE uploaded_at IS NULL ORDER BY seq LIMIT ?",
            limit,
        )
        return [
            JournalEntry(t, c, a, datetime.fromisoformat(p), date.fromisoformat(d), bool(v))
            for t, c, a, p, d, v in rows
        ]

    def pending_count(self) -> int:
        return self._read("SELECT count(*) FROM offline_payment WHERE uploaded_at IS NULL")[0][0]

    def mark_uploaded(self, results: dict[str, str], at: datetime) -> int:
        """Mark the entries the backend has answered for (txn_no -> its result); returns how many
        were still pending."""
        return self._write(
            "UPDATE offline_payment SET uploaded_at = ?, upload_result = ? WHERE txn_no = ? AND uploaded_at IS NULL",
            [(_utc(at), result, txn_no) for txn_no, result in results.items()],
        )

    def paid_times_for_card(self, card_uid: str, business_date: date) -> list[datetime]:
        """When the card's offline payments of this business day were taken, uploaded or not
        (voided entries took nothing): the meal period's swipes are counted from these."""
        rows = self._read(
            "SELECT paid_at FROM offline_payment WHERE card_uid = ? AND business_date = ? AND voided = 0 ORDER BY seq",
            card_uid,
            business_date.isoformat(),
        )
        return [datetime.fromisoformat(paid_at) for (paid_at,) in rows]

    def forget_uploaded_before(self, moment: datetime) -> int:
        return self._write(
            "DELETE FROM offline_payment WHERE uploaded_at IS NOT NULL AND uploaded_at < ?", [(_utc(moment),)]
        )
