"""Settlements under real concurrency on PostgreSQL: settlements of one supplier sent at once
never pay out more than it is owed (they queue on the supplier's row lock, and each reads what
the ones before it paid); one settlement sent many times at once pays once. After each race the
ledger still balances and the shop's revenue holds exactly what was not paid out."""

import asyncio
from datetime import timedelta

from tortoise.functions import Sum

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.timeutil import now, today
from backend.shop.models import Settlement
from backend.shop.service import reports, settlements
from backend.shop.service.accounts import REVENUE, supplier_settled
from backend.wallet.models import LedgerEntry, Transfer, TransferKind
from tests.fixtures.shop import make_order
from tests.helpers.shop_money import pay

FINANCE = Actor(None, "财务")
OWED = 3 * 6800  # three boxes of apples paid


async def _balance(account: str | None = None) -> int:
    entries = LedgerEntry.filter(account=account) if account else LedgerEntry.all()
    total = await entries.annotate(total=Sum("amount")).first().values_list("total", flat=True)
    return int(total or 0)


def _settle(world, amount: int, key: str):
    return settlements.settle(FINANCE, world.partner.id, today() - timedelta(days=6), today(), amount, "", key, now())


def _outcomes(results: list) -> tuple[list[dict], list[AppError]]:
    won = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(won) + len(refused) == len(results), [r for r in results if not isinstance(r, dict | AppError)]
    return won, refused


async def _assert_ledger(world, settled: int) -> None:
    assert await _balance() == 0
    assert await _balance(supplier_settled(world.partner.id)) == settled
    assert await _balance(REVENUE) == OWED - settled
    assert await reports.owed(None, world.partner.id, today()) == OWED - settled
    paid_out = await Settlement.all().annotate(total=Sum("amount_fen")).first().values_list("total", flat=True)
    assert int(paid_out or 0) == settled


async def test_two_settlements_of_all_that_is_owed_at_once_pay_it_once(shop_world, requires_postgres):
    await pay(await make_order(shop_world, [(shop_world.apple, 3)]))
    won, refused = _outcomes(
        await asyncio.gather(*(_settle(shop_world, OWED, f"race-all-{i}") for i in range(2)), return_exceptions=True)
    )
    assert len(won) == 1 and [r.code for r in refused] == ["shop.settlement_over_owed"]
    await _assert_ledger(shop_world, OWED)


async def test_ten_settlements_at_once_never_pay_more_than_is_owed(shop_world, requires_postgres):
    await pay(await make_order(shop_world, [(shop_world.apple, 3)]))
    won, refused = _outcomes(
        await asyncio.gather(
            *(_settle(shop_world, 6000, f"race-part-{i:02d}") for i in range(10)), return_exceptions=True
        )
    )
    assert len(won) == 3 and {r.code for r in refused} == {"shop.settlement_over_owed"}
    await _assert_ledger(shop_world, 3 * 6000)


async def test_one_settlement_sent_twenty_times_at_once_pays_once(shop_world, requires_postgres):
    await pay(await make_order(shop_world, [(shop_world.apple, 3)]))
    won, refused = _outcomes(
        await asyncio.gather(*(_settle(shop_world, 5000, "same-form-key") for _ in range(20)), return_exceptions=True)
    )
    assert not refused and len({r["id"] for r in won}) == 1
    assert sum(not r["replayed"] for r in won) == 1
    assert await Transfer.filter(kind=TransferKind.SHOP_SETTLEMENT).count() == 1
    await _assert_ledger(shop_world, 5000)
