"""A gate terminal's journal (通行记录): every decision it took, online or offline.

The same SQLite file discipline as the canteen's journal (kiosk.journal: WAL, synchronous=FULL):
`append` returns only once the decision is on disk, and the gate opens only after that, so a
decision survives `kill -9`. A decision the backend answered online was booked there already: it
is kept as uploaded (`online`). One taken offline is pending until the backend has answered for
its event number; a crash between the upload and the mark uploads it again, answered duplicate.

The journal also tells the offline check what this terminal let in: the entries of a pass not
yet in the used counts of the last sync (pending, or uploaded after that sync was fetched), and
likewise of a staff card, found by the SHA-256 of its UID.

A card's UID is not kept: only its SHA-256 (`card_hash`). The backend's upload still takes the
UID itself (`card_uid`), so an offline card decision keeps it until the upload is answered and
then blanks it; one decided online never stores it at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.gate_pass import card_hash
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
    upload_result TEXT,
    card_hash TEXT
);
CREATE INDEX IF NOT EXISTS gate_event_pending ON gate_event (seq) WHERE uploaded_at IS NULL;
CREATE INDEX IF NOT EXISTS gate_event_pass ON gate_event (pass_id) WHERE allowed = 1;
"""
CARD_INDEX = "CREATE INDEX IF NOT EXISTS gate_event_card ON gate_event (card_hash) WHERE allowed = 1"
ONLINE = "online"


@dataclass(frozen=True)
class GateEvent:
    """One decision: `credential` is the pass token or the card UID, as the upload needs it (a
    card's UID is on disk only while its offline decision waits for the upload)."""

    event_no: str
    kind: str
    credential: str
    allowed: bool
    reason: str
    at: datetime
    pass_id: int | None = None

    @property
    def card_hash(self) -> str | None:
        return card_hash(self.credential) if self.kind == "card" and self.credential else None

    def upload(self) -> dict:
        """The event as `/device/v1/access/events` takes it (`card_hash` rides along for a backend
        that takes it; today's upload needs `card_uid`)."""
        credential = {"token": self.credential} if self.kind == "pass" else {"card_uid": self.credential}
        if self.kind == "card":
            credential["card_hash"] = self.card_hash or ""
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
        self._hash_card_uids()

    def _hash_card_uids(self) -> None:
        """A journal of an older terminal: add `card_hash`, hash the card UIDs it holds and blank
        those already uploaded."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(gate_event)")}
        if "card_hash" not in columns:
            self._db.execute("ALTER TABLE gate_event ADD COLUMN card_hash TEXT")
        self._db.execute(CARD_INDEX)
        rows = self._read("SELECT seq, credential FROM gate_event WHERE kind = 'card' AND credential != ''")
        self._write(
            "UPDATE gate_event SET card_hash = coalesce(card_hash, ?), "
            "credential = CASE WHEN uploaded_at IS NULL THEN credential ELSE '' END WHERE seq = ?",
            [(card_hash(uid), seq) for seq, uid in rows],
        )

    def append(self, event: GateEvent, *, online: bool) -> None:
        """Record a decision (on disk when this returns); one the backend took online is uploaded."""
        uploaded = (_utc(event.at), ONLINE) if online else (None, None)
        # A card's UID only while the upload needs it; its hash always.
        credential = "" if event.kind == "card" and online else event.credential
        self._write(
            "INSERT INTO gate_event (event_no, kind, credential, pass_id, allowed, reason, at, uploaded_at, "
            "upload_result, card_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    event.event_no,
                    event.kind,
                    credential,
                    event.pass_id,
                    int(event.allowed),
                    event.reason,
                    event.at.isoformat(),
                    *uploaded,
                    event.card_hash,
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
            "UPDATE gate_event SET uploaded_at = ?, upload_result = ?, "
            "credential = CASE WHEN kind = 'card' THEN '' ELSE credential END "
            "WHERE event_no = ? AND uploaded_at IS NULL",
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

    def card_entries_since(self, card_uid: str, synced_at: datetime | None) -> int:
        """As `entries_since`, for a staff card (found by the hash of its UID)."""
        since = _utc(synced_at) if synced_at else ""
        return self._read(
            "SELECT count(*) FROM gate_event WHERE card_hash = ? AND allowed = 1 "
            "AND (uploaded_at IS NULL OR uploaded_at > ?)",
            card_hash(card_uid),
            since,
        )[0][0]
