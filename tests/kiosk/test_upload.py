"""Uploading the offline journal: in order, at most 200 a batch, each entry marked only once the
backend has accepted it; what is not accepted is sent again at the next sync."""

import json
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest

from kiosk.backend_client import BackendClient
from kiosk.journal import Journal, JournalEntry
from kiosk.sync import Unreachable, upload_journal

NOON = datetime(2026, 3, 2, 12, 0, tzinfo=timezone(timedelta(hours=8)))


def clock() -> datetime:
    return NOON


class FakeBackend:
    """The offline-payments endpoint, answering each batch as `answer(entries)` says."""

    def __init__(self, answer):
        self.answer = answer
        self.batches: list[list[str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/device/v1/canteen/offline-payments" and "X-Signature" in request.headers
        entries = json.loads(request.content)["payments"]
        self.batches.append([e["txn_no"] for e in entries])
        return self.answer(entries)


def accept_all(entries):
    return httpx.Response(200, json={"results": [{"txn_no": e["txn_no"], "result": "applied"} for e in entries]})


@pytest.fixture
def journal(tmp_path):
    opened = Journal(tmp_path / "journal.sqlite3")
    yield opened
    opened.close()


def fill(journal: Journal, count: int) -> list[str]:
    numbers = [f"T{n:04d}" for n in range(count)]
    for n, txn_no in enumerate(numbers):
        journal.append(JournalEntry(txn_no, "04A1B2C3", 1500, NOON + timedelta(seconds=n), date(2026, 3, 2)))
    return numbers


def client(fake: FakeBackend) -> BackendClient:
    return BackendClient("http://backend.test", "T-1", "secret", transport=httpx.MockTransport(fake))


async def test_journal_goes_up_in_order_in_batches_of_at_most_200(journal):
    numbers = fill(journal, 450)
    fake = FakeBackend(accept_all)
    assert await upload_journal(client(fake), journal, clock) == 450
    assert [len(b) for b in fake.batches] == [200, 200, 50]
    assert [n for batch in fake.batches for n in batch] == numbers
    assert journal.pending_count() == 0


async def test_entries_the_backend_did_not_accept_stay_and_go_up_again_first(journal):
    numbers = fill(journal, 4)

    def some_accepted(entries):
        results = [
            {"txn_no": numbers[0], "result": "applied"},
            {"txn_no": numbers[1], "result": "duplicate"},
            {"txn_no": numbers[2], "result": "error"},
        ]  # and nothing said about the fourth
        return httpx.Response(200, json={"results": results})

    assert await upload_journal(client(FakeBackend(some_accepted)), journal, clock) == 2
    assert [e.txn_no for e in journal.pending(10)] == numbers[2:]
    retry = FakeBackend(accept_all)
    assert await upload_journal(client(retry), journal, clock) == 2
    assert retry.batches == [numbers[2:]] and journal.pending_count() == 0


async def test_a_failed_upload_marks_nothing_and_the_retry_sends_the_same_entries(journal):
    numbers = fill(journal, 3)
    with pytest.raises(Unreachable):
        await upload_journal(client(FakeBackend(lambda entries: httpx.Response(503))), journal, clock)
    assert journal.pending_count() == 3
    retry = FakeBackend(accept_all)
    assert await upload_journal(client(retry), journal, clock) == 3
    assert retry.batches == [numbers]


async def test_an_upload_the_backend_refuses_outright_marks_nothing(journal):
    fill(journal, 2)
    refused = FakeBackend(lambda entries: httpx.Response(401, json={"error": {"code": "device.bad_signature"}}))
    assert await upload_journal(client(refused), journal, clock) == 0
    assert journal.pending_count() == 2 and len(refused.batches) == 1


async def test_a_voided_entry_goes_up_marked_voided_and_is_done_when_the_backend_notes_it(journal):
    journal.append(JournalEntry("T1", "04A1B2C3", 1500, NOON, date(2026, 3, 2)))
    journal.append(JournalEntry("T2", "04A1B2C3", 0, NOON, date(2026, 3, 2), voided=True))
    sent = []

    def noted(entries):
        sent.extend(entries)
        results = [{"txn_no": e["txn_no"], "result": "voided" if e.get("voided") else "applied"} for e in entries]
        return httpx.Response(200, json={"results": results})

    assert await upload_journal(client(FakeBackend(noted)), journal, clock) == 2
    assert [(e["txn_no"], e["amount_fen"], e.get("voided")) for e in sent] == [("T1", 1500, None), ("T2", 0, True)]
    assert journal.pending_count() == 0
