"""The offline journal: durable once appended, uploaded in order, marked once, and intact after
the process is killed."""

import signal
import sqlite3
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from kiosk.journal import Journal, JournalEntry

TODAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=8)))


def entry(txn_no: str, card_uid: str = "04A1B2C3", minutes: int = 0, day: date = TODAY) -> JournalEntry:
    return JournalEntry(txn_no, card_uid, 1500, NOON + timedelta(minutes=minutes), day)


@pytest.fixture
def journal(tmp_path):
    opened = Journal(tmp_path / "journal.sqlite3")
    yield opened
    opened.close()


def test_journal_is_in_wal_mode_and_syncs_every_commit_to_disk(journal):
    assert journal._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_pending_entries_come_back_in_the_order_taken_and_in_batches(journal):
    for n in range(5):
        journal.append(entry(f"T{n}", minutes=-n))  # a clock set back still uploads in tap order
    assert [e.txn_no for e in journal.pending(3)] == ["T0", "T1", "T2"]
    first = journal.pending(1)[0]
    assert first == entry("T0") and first.paid_at.utcoffset() == timedelta(hours=8)


def test_a_transaction_number_names_one_payment(journal):
    journal.append(entry("T1"))
    with pytest.raises(sqlite3.IntegrityError):
        journal.append(entry("T1", card_uid="04FFFFFF"))
    assert journal.pending_count() == 1


def test_marking_uploaded_counts_only_entries_still_pending(journal):
    for n in range(3):
        journal.append(entry(f"T{n}"))
    assert journal.mark_uploaded({"T0": "applied", "T2": "duplicate", "NOT-OURS": "applied"}, NOON) == 2
    assert [e.txn_no for e in journal.pending(10)] == ["T1"]
    assert journal.mark_uploaded({"T0": "applied"}, NOON) == 0
    assert journal.pending_count() == 1


def test_count_for_a_card_includes_uploaded_entries_of_that_day_only(journal):
    journal.append(entry("T1"))
    journal.append(entry("T2"))
    journal.append(entry("T3", day=TODAY - timedelta(days=1)))
    journal.append(entry("T4", card_uid="04FFFFFF"))
    journal.mark_uploaded({"T1": "applied"}, NOON)
    assert len(journal.paid_times_for_card("04A1B2C3", TODAY)) == 2


def test_a_voided_entry_does_not_count_for_the_card(journal):
    journal.append(entry("T1"))
    journal.append(JournalEntry("T2", "04A1B2C3", 0, NOON, TODAY, voided=True))
    assert len(journal.paid_times_for_card("04A1B2C3", TODAY)) == 1
    assert [e.voided for e in journal.pending(10)] == [False, True]


def test_only_a_voided_entry_may_have_no_amount(journal):
    with pytest.raises(sqlite3.IntegrityError):
        journal.append(JournalEntry("T1", "04A1B2C3", 0, NOON, TODAY))


BEFORE_VOIDED = """
CREATE TABLE offline_payment (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    txn_no TEXT NOT NULL UNIQUE,
    card_uid TEXT NOT NULL,
    amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
    paid_at TEXT NOT NULL,
    business_date TEXT NOT NULL,
    uploaded_at TEXT,
    upload_result TEXT
);
CREATE INDEX offline_payment_pending ON offline_payment (seq) WHERE uploaded_at IS NULL;
CREATE INDEX offline_payment_card_day ON offline_payment (card_uid, business_date);
INSERT INTO offline_payment (txn_no, card_uid, amount_fen, paid_at, business_date, uploaded_at, upload_result)
    VALUES ('OLD-1', '04A1B2C3', 1500, '2026-03-02T11:00:00+08:00', '2026-03-02',
            '2026-03-02T03:30:00+00:00', 'applied'),
           ('OLD-2', '04A1B2C3', 1500, '2026-03-02T11:30:00+08:00', '2026-03-02', NULL, NULL);
"""


def test_a_journal_from_before_voided_entries_gets_the_column_and_keeps_its_entries(tmp_path):
    path = tmp_path / "journal.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(BEFORE_VOIDED)
    old.close()
    upgraded = Journal(path)
    columns = {row[1]: row for row in upgraded._db.execute("PRAGMA table_info(offline_payment)")}
    assert columns["voided"][2:5] == ("INTEGER", 1, "0")  # type, NOT NULL, default
    assert [(e.txn_no, e.voided) for e in upgraded.pending(10)] == [("OLD-2", False)]
    upgraded.append(JournalEntry("T1", "04A1B2C3", 0, NOON, TODAY, voided=True))
    assert len(upgraded.paid_times_for_card("04A1B2C3", TODAY)) == 2
    indexes = {row[1] for row in upgraded._db.execute("PRAGMA index_list(offline_payment)")}
    assert {"offline_payment_pending", "offline_payment_card_day"} <= indexes
    upgraded.close()
    again = Journal(path)
    assert [e.txn_no for e in again.pending(10)] == ["OLD-2", "T1"]
    again.close()


def test_only_uploaded_entries_are_forgotten(journal):
    journal.append(entry("T1"))
    journal.append(entry("T2"))
    journal.mark_uploaded({"T1": "applied"}, NOON)
    assert journal.forget_uploaded_before(NOON + timedelta(days=91)) == 1
    assert [e.txn_no for e in journal.pending(10)] == ["T2"]


def test_remembered_values_survive_reopening(tmp_path):
    first = Journal(tmp_path / "j.sqlite3")
    first.remember("risk_parameters", '{"v": 1}')
    first.remember("risk_parameters", '{"v": 2}')
    first.close()
    again = Journal(tmp_path / "j.sqlite3")
    assert again.recall("risk_parameters") == '{"v": 2}' and again.recall("missing") is None
    again.close()


CRASH_AFTER_APPEND = """
import os, signal, sys
from datetime import date, datetime, timezone
from pathlib import Path
from kiosk.journal import Journal, JournalEntry
journal = Journal(Path(sys.argv[1]))
journal.append(JournalEntry("T1", "04A1B2C3", 1500, datetime(2026, 3, 2, 4, tzinfo=timezone.utc), date(2026, 3, 2)))
journal.mark_uploaded({"T1": "applied"}, datetime.now(timezone.utc))
journal.append(JournalEntry("T2", "04A1B2C3", 1500, datetime(2026, 3, 2, 5, tzinfo=timezone.utc), date(2026, 3, 2)))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_appended_and_marked_entries_survive_the_process_being_killed(tmp_path):
    path = tmp_path / "journal.sqlite3"
    child = subprocess.run([sys.executable, "-c", CRASH_AFTER_APPEND, str(path)], capture_output=True)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert (path.parent / "journal.sqlite3-wal").exists()  # not checkpointed: recovered from the WAL
    reopened = Journal(path)
    assert [e.txn_no for e in reopened.pending(10)] == ["T2"]
    assert len(reopened.paid_times_for_card("04A1B2C3", date(2026, 3, 2))) == 2
    reopened.close()
