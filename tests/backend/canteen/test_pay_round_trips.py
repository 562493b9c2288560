"""The lunch rush is short of round trips: an online card payment on PostgreSQL is the lock, the
meal's count and ONE statement for the debit, the voucher, its legs and the payment row."""

import asyncpg.connection
import pytest

from tests.fixtures.canteen import cardholder, pay


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """Every statement sent to PostgreSQL from here on (each is a round trip)."""
    sent: list[str] = []

    def spy(original):
        async def sending(self, query, *args, **kwargs):
            sent.append(query)
            return await original(self, query, *args, **kwargs)

        return sending

    for name in ("execute", "executemany", "fetch", "fetchrow", "fetchval"):
        monkeypatch.setattr(asyncpg.connection.Connection, name, spy(getattr(asyncpg.connection.Connection, name)))
    return sent


async def test_an_online_card_payment_is_five_round_trips(client, terminal, requires_postgres, statements):
    await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=3000)
    await cardholder("D0002", "04A1B2C4", cash=5000)
    assert (await pay(client, terminal, "TX0", card_uid="04A1B2C4")).status_code == 200  # the terminal's config cached
    statements.clear()
    assert (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).status_code == 200
    begin, lock, meal, write, commit = statements
    assert (begin, commit) == ("BEGIN;", "COMMIT;")
    assert "FOR UPDATE" in lock and "canteen_payment" in meal
    assert all(
        part in write for part in ("UPDATE wallet_wallet", "INSERT INTO wallet_transfer", "INSERT INTO canteen_payment")
    )
