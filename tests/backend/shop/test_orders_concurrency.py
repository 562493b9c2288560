"""Ordering under real concurrency on PostgreSQL: a hundred cadres ordering the last ten units at
once sell exactly ten and never drive the stock below zero; one cadre's orders sent at once never
pass their limit; one checkout sent twenty times at once makes one order; and the time-out run
twice at once, beside the cadres' own cancels, releases each order's stock exactly once. After
each, every SKU's stock equals the sum of its ledger."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from tortoise.functions import Sum

from backend.accounts.models import Person
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.shop.models import CycleItem, Order, OrderLine, OrderState, Sku, StockMove, StockReason
from backend.shop.service import orders
from tests.fixtures.shop import make_order, stock_in

BUYERS = 100


async def _cadres(n: int) -> list[int]:
    unit_id = (await Person.get(employee_no="D0001")).unit_id
    return [
        (
            await Person.create(employee_no=f"S{i:04d}", name=f"干部{i}", unit_id=unit_id, staff_category="established")
        ).id
        for i in range(n)
    ]


def _outcomes(results: list) -> tuple[list[tuple[dict, bool]], list[AppError]]:
    won = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(won) + len(refused) == len(results), [r for r in results if not isinstance(r, (tuple, AppError))]
    return won, refused


async def _stock_equals_its_ledger() -> None:
    for sku in await Sku.all():
        moved = await StockMove.filter(sku_id=sku.id).annotate(t=Sum("delta")).first().values_list("t", flat=True)
        assert sku.stock >= 0 and sku.stock == int(moved or 0), sku.spec


async def test_a_hundred_cadres_ordering_the_last_ten_units_at_once_buy_exactly_ten(shop_world, requires_postgres):
    w, at = shop_world, now()
    special = await Sku.create(product_id=w.apple.product_id, spec="礼盒 2.5 kg", price_fen=3900)
    await stock_in(special, 10)
    await CycleItem.create(cycle=w.cycle, sku=special, featured=True)
    cadres = await _cadres(BUYERS)

    results = await asyncio.gather(
        *(orders.place(person_id, secrets.token_hex(8), at, [(special.id, 1)]) for person_id in cadres),
        return_exceptions=True,
    )

    won, refused = _outcomes(results)
    assert len(won) == 10 and len(refused) == BUYERS - 10
    assert {e.code for e in refused} == {"shop.stock_short"}
    assert all("礼盒 2.5 kg" in e.message for e in refused)
    assert (await Sku.get(id=special.id)).stock == 0
    sold = await OrderLine.filter(sku_id=special.id).annotate(t=Sum("quantity")).first().values_list("t", flat=True)
    assert sold == 10 and await Order.all().count() == 10
    await _stock_equals_its_ledger()


async def test_one_cadres_orders_sent_at_once_never_pass_the_limit(shop_world, requires_postgres):
    w, at = shop_world, now()

    results = await asyncio.gather(
        *(orders.place(w.cadre_id, secrets.token_hex(8), at, [(w.apple.id, 1)]) for _ in range(10)),
        return_exceptions=True,
    )

    won, refused = _outcomes(results)
    assert len(won) == 2 and {e.code for e in refused} == {"shop.over_limit"}
    assert (await Sku.get(id=w.apple.id)).stock == 48
    await _stock_equals_its_ledger()


async def test_one_checkout_sent_twenty_times_at_once_makes_one_order(shop_world, requires_postgres):
    w, at, ref = shop_world, now(), secrets.token_hex(8)
    await orders.set_line(w.cadre_id, w.tea.id, 2, at)

    results = await asyncio.gather(*(orders.place(w.cadre_id, ref, at) for _ in range(20)), return_exceptions=True)

    won, refused = _outcomes(results)
    assert not refused and len(won) == 20
    assert len({view["order_no"] for view, _ in won}) == 1
    assert sum(created for _, created in won) == 1
    assert await Order.all().count() == 1 and (await Sku.get(id=w.tea.id)).stock == 18
    await _stock_equals_its_ledger()


async def test_the_time_out_twice_at_once_beside_the_cadres_cancels_releases_each_order_once(
    shop_world, requires_postgres
):
    w, at = shop_world, now()
    due = [await make_order(w, [(w.tea, 1), (w.fish, 1)], created_at=at - timedelta(minutes=20)) for _ in range(8)]

    results = await asyncio.gather(
        orders.expire_unpaid(at),
        orders.expire_unpaid(at),
        *(orders.cancel(w.cadre_id, order.order_no, at) for order in due[:4]),
        return_exceptions=True,
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results[0] + results[1] + sum(r["cancel_reason"] == "下单人取消" for r in results[2:]) == 8
    assert await Order.filter(state=OrderState.CANCELLED).count() == 8
    for order in due:
        releases = await StockMove.filter(order_id=order.id, reason=StockReason.RELEASE).count()
        assert releases == 2, order.order_no
    assert ((await Sku.get(id=w.tea.id)).stock, (await Sku.get(id=w.fish.id)).stock) == (20, 10)
    await _stock_equals_its_ledger()
