"""Settling with a supplier: the money moves in the ledger from the shop's revenue to what the
supplier was paid, with its Settlement row and an audit entry; never more than is owed; one
idempotency key pays once; bad periods and amounts are refused and move nothing."""

from datetime import timedelta

import pytest
from tortoise.functions import Sum

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now, today
from backend.shop.models import Settlement, Supplier
from backend.shop.service import settlements
from backend.shop.service.accounts import REVENUE, supplier_settled
from backend.wallet.models import LedgerEntry, Transfer, TransferKind
from tests.fixtures.shop import make_order
from tests.helpers.shop_money import pay

FINANCE = Actor(7, "财务 李娜")


async def _balance(account: str) -> int:
    total = (
        await LedgerEntry.filter(account=account).annotate(total=Sum("amount")).first().values_list("total", flat=True)
    )
    return int(total or 0)


async def _sold_apples(world, boxes: int = 3) -> None:
    """Apples of the partner cooperative paid for: 68.00 a box."""
    await pay(await make_order(world, [(world.apple, boxes)]))


async def _settle(world, amount: int, key: str = "settle-key-0001", **changes):
    args = {
        "actor": FINANCE,
        "supplier_id": world.partner.id,
        "period_start": today() - timedelta(days=6),
        "period_end": today(),
        "amount_fen": amount,
        "reference": "工行转账 20261207001",
        "idempotency_key": key,
        "at": now(),
    } | changes
    return await settlements.settle(**args)


async def test_a_settlement_moves_revenue_to_the_supplier_and_is_audited(shop_world):
    await _sold_apples(shop_world)
    done = await _settle(shop_world, 15000)
    assert done["replayed"] is False and done["amount_fen"] == 15000 and done["supplier"] == "阿克苏红旗坡果业合作社"
    assert await _balance(REVENUE) == 20400 - 15000
    assert await _balance(supplier_settled(shop_world.partner.id)) == 15000
    settlement = await Settlement.get(id=done["id"])
    transfer = await Transfer.get(id=settlement.transfer_id)
    assert transfer.kind == TransferKind.SHOP_SETTLEMENT
    assert (settlement.settled_by, settlement.reference) == ("财务 李娜", "工行转账 20261207001")
    entry = await AuditEntry.get(action="shop.settle_supplier")
    assert (entry.actor_id, entry.object_type, entry.object_id) == (7, "settlement", str(done["id"]))
    assert entry.before == {"owed_fen": 20400} and entry.after["owed_fen"] == 5400


async def test_a_settlement_over_what_is_owed_is_refused_and_moves_nothing(shop_world):
    await _sold_apples(shop_world)
    await _settle(shop_world, 20000)
    with pytest.raises(AppError) as refused:
        await _settle(shop_world, 401, key="settle-key-0002")
    assert refused.value.code == "shop.settlement_over_owed"
    assert "4.00" in refused.value.message and "阿克苏红旗坡果业合作社" in refused.value.message
    assert await Settlement.all().count() == 1 and await _balance(REVENUE) == 400
    assert (await _settle(shop_world, 400, key="settle-key-0003"))["amount_fen"] == 400


async def test_the_same_key_settles_once_and_refuses_another_request(shop_world):
    await _sold_apples(shop_world)
    first = await _settle(shop_world, 10000)
    again = await _settle(shop_world, 10000)
    assert again["replayed"] is True and again["id"] == first["id"]
    assert await Settlement.all().count() == 1
    assert await Transfer.filter(kind=TransferKind.SHOP_SETTLEMENT).count() == 1
    with pytest.raises(AppError) as refused:
        await _settle(shop_world, 9000)
    assert refused.value.code == "shop.settlement_key_used"


async def test_an_inactive_supplier_is_still_paid_what_it_is_owed(shop_world):
    await _sold_apples(shop_world, 1)
    await Supplier.filter(id=shop_world.partner.id).update(is_active=False)
    assert (await _settle(shop_world, 6800))["amount_fen"] == 6800


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"period_start": today(), "period_end": today() - timedelta(days=1)}, "shop.settlement_period_invalid"),
        ({"period_end": today() + timedelta(days=1)}, "shop.settlement_period_future"),
        ({"amount_fen": 0}, "shop.settlement_amount_invalid"),
        ({"supplier_id": 999_999}, "shop.supplier_not_found"),
        (
            {"period_start": today() - timedelta(days=30), "period_end": today() - timedelta(days=1)},
            "shop.settlement_over_owed",
        ),
    ],
)
async def test_bad_settlements_are_refused(shop_world, changes, code):
    """The last: the apples were paid today, so nothing was owed through yesterday."""
    await _sold_apples(shop_world)
    with pytest.raises(AppError) as refused:
        await _settle(shop_world, 100, **changes)
    assert refused.value.code == code
    assert await Settlement.all().count() == 0 and await _balance(REVENUE) == 20400


async def test_settlements_are_listed_newest_first(shop_world):
    await _sold_apples(shop_world)
    for i, amount in enumerate((1000, 2000)):
        await _settle(shop_world, amount, key=f"settle-key-100{i}")
    page = await settlements.list_settlements(1, 20)
    assert [s["amount_fen"] for s in page.items] == [2000, 1000] and page.total == 2
    assert (await settlements.list_settlements(1, 20, shop_world.local.id)).total == 0
    ending = await settlements.settlements_ending(today(), today(), shop_world.partner.id)
    assert [s["amount_fen"] for s in ending] == [2000, 1000]
