"""A gate terminal's journal (通行记录): every decision it took, online or offline.

The same SQLite file discipline as the canteen's journal (kiosk.journal: WAL, synchronous=FULL):
`append` returns only once the decision is on disk, and the gate opens only after that, so a
decision survives `kill -9`. A decision the backend answered online was booked there already: it
is kept as uploaded (`online`). One taken offline is pending until the backend has answered for
its event number; a crash between the upload and the mark uploads it again, answered duplicate.

The journal also tells the offline check what this terminal let in: the entries of a pass not
yet in the used counts of the last sync (pending, or uploaded after that sync was fetched), and
likewise of a staff card.

A card's UID is never written: a card event's credential is the SHA-256 of the UID, which is how
the sync names the cards the terminal may let in and how the upload names the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.journal import SqliteStore, _utc

SCHEMA = """
CREATE TABLE IF NOT EXISTS gate_event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_no TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('pass', 'card')),
    credential TEXT NOT NULL,
    pass_id INTEGER,
    allowed INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    uploaded_at TEXT,
    upload_result TEXT
);
CREATE INDEX IF NOT EXISTS gate_event_pending ON gate_event (seq) WHERE uploaded_at IS NULL;
CREATE INDEX IF NOT EXISTS gate_event_pass ON gate_event (pass_id) WHERE allowed = 1;
CREATE INDEX IF NOT EXISTS gate_event_card ON gate_event (credential) WHERE kind = 'card' AND allowed = 1;
"""
ONLINE = "online"


@dataclass(frozen=True)
class GateEvent:
    """One decision: `credential` is the pass token, or the SHA-256 of the card's UID
    (`gate_pass.card_hash`), as the upload takes them."""

    event_no: str
    kind: str
    credential: str
    allowed: bool
    reason: str
    at: datetime
    pass_id: int | None = None

    def upload(self) -> dict:
        """The event as `/device/v1/access/events` takes it."""
        credential = {"token": self.credential} if self.kind == "pass" else {"card_hash": self.credential}
        return {
            "event_no": self.event_no,
            "at": self.at.isoformat(),
            "kind": self.kind,
            **credential,
            "allowed": self.allowed,
            "reason": self.reason,
        }


class GateJournal(SqliteStore):
    def __init__(self, path):
        super().__init__(path)
        self._db.executescript(SCHEMA)

    def append(self, event: GateEvent, *, online: bool) -> None:
        """Record a decision (on disk when this returns); one the backend took online is uploaded."""
        uploaded = (_utc(event.at), ONLINE) if online else (None, None)
        self._write(
            "INSERT INTO gate_event (event_no, kind, credential, pass_id, allowed, reason, at, uploaded_at, "
            "upload_result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    event.event_no,
                    event.kind,
                    event.credential,
                    event.pass_id,
                    int(event.allowed),
                    event.reason,
                    event.at.isoformat(),
                    *uploaded,
                )
            ],
        )

    def pending(self, limit: int) -> list[GateEvent]:
        rows = self._read(
            "SELECT event_no, kind, credential, allowed, reason, at, pass_id FROM gate_event "
            "WHERE uploaded_at IS NULL ORDER BY seq LIMIT ?",
            limit,
        )
        return [GateEvent(e, k, c, bool(a), r, datetime.fromisoformat(at), p) for e, k, c, a, r, at, p in rows]

    def pending_count(self) -> int:
        return self._read("SELECT count(*) FROM gate_event WHERE uploaded_at IS NULL")[0][0]

    def mark_uploaded(self, results: dict[str, str], at: datetime) -> int:
        return self._write(
            "UPDATE gate_event SET uploaded_at = ?, upload_result = ? WHERE event_no = ? AND uploaded_at IS NULL",
            [(_utc(at), result, event_no) for event_no, result in results.items()],
        )

    def entries_since(self, pass_id: int, synced_at: datetime | None) -> int:
        """The entries this terminal let the pass make that the sync of `synced_at` could not
        have counted: not uploaded yet, or uploaded (or booked online) after it was fetched."""
        since = _utc(synced_at) if synced_at else ""
        return self._read(
            "SELECT count(*) FROM gate_event WHERE pass_id = ? AND allowed = 1 "
            "AND (uploaded_at IS NULL OR uploaded_at > ?)",
            pass_id,
            since,
        )[0][0]

    def card_entries_since(self, card: str, synced_at: datetime | None) -> int:
        """As `entries_since`, for a staff card (`card` is the hash of its UID)."""
        since = _utc(synced_at) if synced_at else ""
        return self._read(
            "SELECT count(*) FROM gate_event WHERE kind = 'card' AND credential = ? AND allowed = 1 "
            "AND (uploaded_at IS NULL OR uploaded_at > ?)",
            card,
            since,
        )[0][0]
