"""Ledger helpers for tests: crediting subsidy and checking the books with reconciliation."""

from datetime import date

from tortoise.transactions import in_transaction

from backend.accounts.models import Person
from backend.core.timeutil import BUSINESS_TZ, now
from backend.reconcile import check
from backend.wallet.models import TransferKind
from backend.wallet.service import ledger, wallets


async def grant_subsidy(person_id: int, amount: int) -> None:
    person = await Person.get(id=person_id)
    wallet = await wallets.ensure_wallet(person_id)
    async with in_transaction() as conn:
        await wallets.credit(conn, wallet.id, subsidy=amount)
        await ledger.post(
            conn,
            TransferKind.SUBSIDY_GRANT,
            [(ledger.unit_subsidy_funding(person.unit_id), -amount), (ledger.wallet_subsidy(wallet.id), amount)],
            at=now(),
        )


async def assert_books_clean(day: date | None = None) -> None:
    problems = await check(day or now().astimezone(BUSINESS_TZ).date())
    assert problems == [], problems
