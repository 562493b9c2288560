"""Baskets and orders of the produce shop: an order takes its stock with one guarded decrement per
line and its ledger rows, all lines or none, at the server's prices and within the per-person
limit, once per client reference; an unpaid order is cancelled by its cadre or by the time-out
and gives its stock back exactly once."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.shop.models import (
    Basket,
    Cycle,
    CycleItem,
    Order,
    OrderLine,
    OrderState,
    Product,
    Sku,
    StockMove,
    StockReason,
)
from backend.shop.service import orders
from tests.fixtures.shop import make_order


def _ref() -> str:
    return secrets.token_hex(8)


async def _stock(sku) -> int:
    return (await Sku.get(id=sku.id)).stock


async def _moved(sku) -> int:
    total = await StockMove.filter(sku_id=sku.id).annotate(t=Sum("delta")).first().values_list("t", flat=True)
    return int(total or 0)


async def _refused(code: str, call) -> AppError:
    with pytest.raises(AppError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


# ---- placing -----------------------------------------------------------------------------------


async def test_an_order_from_the_basket_takes_its_stock_at_the_servers_prices(shop_world):
    w, at = shop_world, now()
    await orders.set_line(w.cadre_id, w.apple.id, 2, at)
    await orders.set_line(w.cadre_id, w.tea.id, 1, at)

    order, created = await orders.place(w.cadre_id, _ref(), at, pay_minutes=20)

    assert created and order["state"] == "pending" and order["state_label"] == "待支付"
    assert order["total_fen"] == 2 * 6800 + 12000
    assert [(line["product_name"], line["quantity"], line["amount_fen"]) for line in order["lines"]] == [
        ("阿克苏冰糖心苹果", 2, 13600),
        ("径山茶", 1, 12000),
    ]
    assert order["expires_at"] == at + timedelta(minutes=20)
    assert order["pickup"]["day"] == date.fromisoformat(w.cycle.pickup_days[0])
    assert order["pickup"]["place"] == "行政中心一号食堂入口"
    assert order["pickup"]["code"] is None  # shown once paid
    stored = await Order.get(order_no=order["order_no"])
    assert len(stored.pickup_code) == 8 and stored.pickup_code.isdigit()
    assert (await _stock(w.apple), await _stock(w.tea)) == (48, 19)
    for sku in (w.apple, w.tea):
        assert await _stock(sku) == await _moved(sku)
    moves = await StockMove.filter(order_id=stored.id).order_by("sku_id").values_list("sku_id", "delta", "reason")
    assert moves == [(w.apple.id, -2, StockReason.ORDER), (w.tea.id, -1, StockReason.ORDER)]
    assert (await orders.basket_view(w.cadre_id, at))["lines"] == []


async def test_an_order_of_given_lines_leaves_the_rest_of_the_basket(shop_world):
    w, at = shop_world, now()
    await orders.set_line(w.cadre_id, w.apple.id, 1, at)
    await orders.set_line(w.cadre_id, w.tea.id, 3, at)

    order, _ = await orders.place(w.cadre_id, _ref(), at, [(w.tea.id, 1), (w.tea.id, 1)])

    assert [(line["sku_id"], line["quantity"]) for line in order["lines"]] == [(w.tea.id, 2)]
    basket = await orders.basket_view(w.cadre_id, at)
    assert [(line["sku_id"], line["quantity"]) for line in basket["lines"]] == [(w.apple.id, 1)]


async def test_a_price_changed_after_the_basket_was_filled_is_charged_as_the_server_has_it(shop_world):
    w, at = shop_world, now()
    await orders.set_line(w.cadre_id, w.tea.id, 1, at)
    await Sku.filter(id=w.tea.id).update(price_fen=9900)

    order, _ = await orders.place(w.cadre_id, _ref(), at)

    assert order["total_fen"] == 9900 and order["lines"][0]["unit_price_fen"] == 9900


async def test_the_pickup_day_is_the_latest_of_its_lines(shop_world):
    w, at = shop_world, now()
    later = date.fromisoformat(w.cycle.pickup_days[0]) + timedelta(days=2)
    await CycleItem.filter(cycle_id=w.cycle.id, sku_id=w.fish.id).update(pickup_day=later)

    order, _ = await orders.place(w.cadre_id, _ref(), at, [(w.apple.id, 1), (w.fish.id, 1)])

    assert order["pickup"]["day"] == later


async def test_the_same_client_ref_places_one_order(shop_world):
    w, at, ref = shop_world, now(), _ref()
    first, created = await orders.place(w.cadre_id, ref, at, [(w.apple.id, 1)])
    again, created_again = await orders.place(w.cadre_id, ref, at + timedelta(seconds=5), [(w.apple.id, 1)])

    assert (created, created_again) == (True, False)
    assert again["order_no"] == first["order_no"]
    assert await Order.filter(person_id=w.cadre_id).count() == 1
    assert await _stock(w.apple) == 49


async def test_a_retry_after_the_cycle_closed_still_answers_the_order(shop_world):
    w, at, ref = shop_world, now(), _ref()
    first, _ = await orders.place(w.cadre_id, ref, at, [(w.tea.id, 1)])
    again, created = await orders.place(w.cadre_id, ref, w.cycle.closes_at + timedelta(minutes=1), [(w.tea.id, 1)])
    assert not created and again["order_no"] == first["order_no"]


async def test_a_retry_after_the_goods_sold_out_still_answers_the_order(shop_world):
    w, at, ref = shop_world, now(), _ref()
    first, _ = await orders.place(w.cadre_id, ref, at, [(w.fish.id, 10)])
    assert await _stock(w.fish) == 0
    again, created = await orders.place(w.cadre_id, ref, at, [(w.fish.id, 10)])
    assert not created and again["order_no"] == first["order_no"]
    await _refused("shop.stock_short", orders.place(w.cadre_id, _ref(), at, [(w.fish.id, 1)]))


async def test_a_short_line_refuses_the_whole_order_and_names_the_product(shop_world):
    w, at = shop_world, now()
    refusal = await _refused(
        "shop.stock_short", orders.place(w.cadre_id, _ref(), at, [(w.apple.id, 1), (w.tea.id, 21)])
    )
    assert "径山茶" in refusal.message
    assert (await _stock(w.apple), await _stock(w.tea)) == (50, 20)
    assert await Order.all().count() == 0 and await OrderLine.all().count() == 0
    assert await StockMove.filter(reason=StockReason.ORDER).count() == 0


@pytest.mark.parametrize("quantity", [0, -1, 100, True])
async def test_a_quantity_outside_one_to_ninety_nine_is_refused(shop_world, quantity):
    w = shop_world
    await _refused("shop.quantity_invalid", orders.place(w.cadre_id, _ref(), now(), [(w.tea.id, quantity)]))
    assert await Order.all().count() == 0 and await _stock(w.tea) == 20


async def test_an_empty_basket_cannot_be_ordered(shop_world):
    await _refused("shop.cart_empty", orders.place(shop_world.cadre_id, _ref(), now()))


async def test_a_sku_off_the_shelf_or_of_an_inactive_product_is_refused_by_name(shop_world):
    w = shop_world
    await Sku.filter(id=w.tea.id).update(on_shelf=False)
    refusal = await _refused("shop.off_shelf", orders.place(w.cadre_id, _ref(), now(), [(w.tea.id, 1)]))
    assert "径山茶" in refusal.message
    await Product.filter(id=w.apple.product_id).update(is_active=False)
    await _refused("shop.off_shelf", orders.place(w.cadre_id, _ref(), now(), [(w.apple.id, 1)]))


async def test_a_sku_not_in_the_cycle_or_unknown_is_refused(shop_world):
    w = shop_world
    other = await Sku.create(product_id=w.tea.product_id, spec="500 g", price_fen=22000, stock=0)
    refusal = await _refused("shop.not_in_cycle", orders.place(w.cadre_id, _ref(), now(), [(other.id, 1)]))
    assert "径山茶（500 g）" in refusal.message
    await _refused("shop.sku_not_found", orders.place(w.cadre_id, _ref(), now(), [(999_999, 1)]))


async def test_a_presale_line_past_its_cut_off_is_refused(shop_world):
    w = shop_world
    cutoff = (await CycleItem.get(cycle_id=w.cycle.id, sku_id=w.fish.id)).presale_cutoff
    late = cutoff + timedelta(minutes=1)
    refusal = await _refused("shop.presale_closed", orders.place(w.cadre_id, _ref(), late, [(w.fish.id, 1)]))
    assert "千岛湖鱼干" in refusal.message
    order, _ = await orders.place(w.cadre_id, _ref(), late, [(w.tea.id, 1)])
    assert order["state"] == "pending"


async def test_ordering_after_the_cycle_closed_or_before_any_opened_is_refused(shop_world):
    w = shop_world
    await _refused("shop.cycle_closed", orders.place(w.cadre_id, _ref(), w.cycle.closes_at, [(w.tea.id, 1)]))
    await _refused(
        "shop.no_open_cycle", orders.place(w.cadre_id, _ref(), w.cycle.opens_at - timedelta(days=1), [(w.tea.id, 1)])
    )
    await _refused(
        "shop.no_open_cycle",
        orders.place(w.cadre_id, _ref(), w.cycle.closes_at + timedelta(days=8), [(w.tea.id, 1)]),
    )


async def test_the_per_person_limit_counts_every_order_of_the_cycle_not_cancelled(shop_world):
    w, at = shop_world, now()
    first, _ = await orders.place(w.cadre_id, _ref(), at, [(w.apple.id, 2)])

    refusal = await _refused("shop.over_limit", orders.place(w.cadre_id, _ref(), at, [(w.apple.id, 1)]))
    assert "限购 2 件" in refusal.message and "已买 2 件" in refusal.message
    # another cadre has their own limit
    await orders.place(w.other_cadre_id, _ref(), at, [(w.apple.id, 2)])
    # a cancelled order no longer counts
    await orders.cancel(w.cadre_id, first["order_no"], at)
    again, _ = await orders.place(w.cadre_id, _ref(), at, [(w.apple.id, 2)])
    assert again["state"] == "pending"


# ---- the basket --------------------------------------------------------------------------------


async def test_the_basket_shows_server_prices_and_says_which_lines_cannot_be_ordered(shop_world):
    w, at = shop_world, now()
    await orders.set_line(w.cadre_id, w.apple.id, 2, at)
    await orders.set_line(w.cadre_id, w.tea.id, 5, at)
    await orders.set_line(w.cadre_id, w.fish.id, 1, at)
    await Sku.filter(id=w.tea.id).update(stock=3)
    await Sku.filter(id=w.fish.id).update(on_shelf=False)

    basket = await orders.basket_view(w.cadre_id, at)

    assert basket["cycle"]["title"] == "阿克苏周"
    by_sku = {line["sku_id"]: line for line in basket["lines"]}
    assert by_sku[w.apple.id]["available"] and by_sku[w.apple.id]["amount_fen"] == 13600
    assert by_sku[w.tea.id]["problem"] == "“径山茶（250 g）”库存不足"
    assert by_sku[w.fish.id]["problem"] == "“千岛湖鱼干（500 g）”已下架"
    assert basket["total_fen"] == 13600 + 5 * 12000 + 4500 and not basket["orderable"]


async def test_a_basket_line_is_changed_removed_and_validated(shop_world):
    w, at = shop_world, now()
    await orders.set_line(w.cadre_id, w.tea.id, 1, at)
    changed = await orders.set_line(w.cadre_id, w.tea.id, 4, at)
    assert [(line["sku_id"], line["quantity"]) for line in changed["lines"]] == [(w.tea.id, 4)]
    emptied = await orders.set_line(w.cadre_id, w.tea.id, 0, at)
    assert emptied["lines"] == [] and emptied["total_fen"] == 0
    await _refused("shop.quantity_invalid", orders.set_line(w.cadre_id, w.tea.id, 100, at))
    await _refused("shop.over_limit", orders.set_line(w.cadre_id, w.apple.id, 3, at))
    await Sku.filter(id=w.tea.id).update(on_shelf=False)
    await _refused("shop.off_shelf", orders.set_line(w.cadre_id, w.tea.id, 1, at))


async def test_a_basket_never_carries_into_the_next_cycle(shop_world):
    w, at = shop_world, now()
    await orders.set_line(w.cadre_id, w.tea.id, 2, at)
    following = await Cycle.create(
        title="径山周",
        opens_at=w.cycle.closes_at,
        closes_at=w.cycle.closes_at + timedelta(days=3),
        pickup_days=[(w.cycle.closes_at + timedelta(days=4)).date().isoformat()],
        pickup_place="行政中心一号食堂入口",
    )
    await CycleItem.create(cycle=following, sku=w.tea)

    next_week = await orders.basket_view(w.cadre_id, following.opens_at + timedelta(hours=1))

    assert next_week["cycle"]["title"] == "径山周" and next_week["lines"] == []
    await _refused("shop.cart_empty", orders.place(w.cadre_id, _ref(), following.opens_at + timedelta(hours=1)))
    between = await orders.basket_view(w.cadre_id, following.closes_at + timedelta(hours=1))
    assert between == {"cycle": None, "lines": [], "total_fen": 0, "orderable": False}
    assert await Basket.filter(person_id=w.cadre_id, cycle_id=w.cycle.id).exists()


async def test_a_basket_holds_a_limited_number_of_different_skus(shop_world, monkeypatch):
    w, at = shop_world, now()
    monkeypatch.setattr(orders, "MOST_LINES", 2)
    await orders.set_line(w.cadre_id, w.apple.id, 1, at)
    await orders.set_line(w.cadre_id, w.tea.id, 1, at)
    await _refused("shop.cart_full", orders.set_line(w.cadre_id, w.fish.id, 1, at))
    await orders.set_line(w.cadre_id, w.tea.id, 2, at)  # a line already there may change


# ---- cancelling and the time-out ---------------------------------------------------------------


async def test_the_cadre_cancels_an_unpaid_order_and_its_stock_comes_back_once(shop_world):
    w, at = shop_world, now()
    order, _ = await orders.place(w.cadre_id, _ref(), at, [(w.apple.id, 2), (w.tea.id, 1)])

    cancelled = await orders.cancel(w.cadre_id, order["order_no"], at)
    again = await orders.cancel(w.cadre_id, order["order_no"], at)

    assert cancelled["state"] == "cancelled" and cancelled["cancel_reason"] == "下单人取消"
    assert again["state"] == "cancelled" and not again["can_cancel"]
    assert (await _stock(w.apple), await _stock(w.tea)) == (50, 20)
    stored = await Order.get(order_no=order["order_no"])
    releases = await StockMove.filter(order_id=stored.id, reason=StockReason.RELEASE).values_list("sku_id", "delta")
    assert sorted(releases) == sorted([(w.apple.id, 2), (w.tea.id, 1)])
    assert set(
        await StockMove.filter(order_id=stored.id, reason=StockReason.RELEASE).values_list("actor", flat=True)
    ) == {"张伟"}


async def test_a_paid_order_cannot_be_cancelled_and_another_cadres_order_is_not_found(shop_world):
    w = shop_world
    paid = await make_order(w, [(w.tea, 1)], state=OrderState.PAID)
    await _refused("shop.order_not_cancellable", orders.cancel(w.cadre_id, paid.order_no, now()))
    await _refused("shop.order_not_found", orders.cancel(w.other_cadre_id, paid.order_no, now()))
    assert (await Order.get(id=paid.id)).state == OrderState.PAID and await _stock(w.tea) == 19


async def test_the_time_out_cancels_orders_past_their_time_once_and_leaves_the_rest(shop_world):
    w, at = shop_world, now()
    due = await make_order(w, [(w.apple, 1), (w.tea, 2)], created_at=at - timedelta(minutes=20))
    not_yet = await make_order(w, [(w.tea, 1)], created_at=at - timedelta(minutes=5))
    paid = await make_order(w, [(w.fish, 1)], state=OrderState.PAID, created_at=at - timedelta(minutes=30))

    assert await orders.expire_unpaid(at) == 1
    assert await orders.expire_unpaid(at) == 0

    expired = await Order.get(id=due.id)
    assert expired.state == OrderState.CANCELLED and expired.cancel_reason == "超时未支付"
    assert (await Order.get(id=not_yet.id)).state == OrderState.PENDING
    assert (await Order.get(id=paid.id)).state == OrderState.PAID
    assert (await _stock(w.apple), await _stock(w.tea), await _stock(w.fish)) == (50, 19, 9)
    assert await StockMove.filter(order_id=due.id, reason=StockReason.RELEASE).count() == 2
    for sku in (w.apple, w.tea, w.fish):
        assert await _stock(sku) == await _moved(sku)


async def test_the_time_out_works_through_more_orders_than_one_batch(shop_world, monkeypatch):
    w, at = shop_world, now()
    monkeypatch.setattr(orders, "EXPIRE_BATCH", 2)
    for _ in range(5):
        await make_order(w, [(w.tea, 1)], created_at=at - timedelta(minutes=20))
    assert await orders.expire_unpaid(at) == 5
    assert await _stock(w.tea) == 20


async def test_release_puts_back_only_what_was_not_refunded(shop_world):
    w, at = shop_world, now()
    order = await make_order(w, [(w.tea, 3)], state=OrderState.PAID)
    await OrderLine.filter(order_id=order.id).update(refunded_quantity=1, refunded_fen=12000)
    async with in_transaction() as conn:
        await orders.release_stock(conn, order.id, StockReason.RESTOCK, "测试", at)
    assert await _stock(w.tea) == 19
    assert await StockMove.filter(order_id=order.id, reason=StockReason.RESTOCK).values_list("delta", flat=True) == [2]


# ---- views ---------------------------------------------------------------------------------------


async def test_the_pickup_code_is_shown_to_the_cadre_once_paid_and_never_to_staff(shop_world):
    w = shop_world
    pending = await make_order(w, [(w.tea, 1)])
    paid = await make_order(w, [(w.tea, 1)], state=OrderState.PAID)

    assert (await orders.order_view(pending, for_staff=False))["pickup"]["code"] is None
    assert (await orders.order_view(paid, for_staff=False))["pickup"]["code"] == paid.pickup_code
    staff = await orders.order_view(paid, for_staff=True)
    assert staff["pickup"]["code"] is None
    assert staff["person"]["name"] == "张伟" and staff["person"]["employee_no"] == "D0001"
    assert staff["payment"] is None


async def test_find_order_finds_only_the_cadres_own_and_my_orders_pages_the_latest_first(shop_world):
    w, at = shop_world, now()
    older = await make_order(w, [(w.tea, 1)], created_at=at - timedelta(hours=2))
    newer = await make_order(w, [(w.apple, 1)], created_at=at - timedelta(hours=1))
    await make_order(w, [(w.tea, 1)], person_id=w.other_cadre_id)

    assert (await orders.find_order(older.order_no.lower(), person_id=w.cadre_id)).id == older.id
    await _refused("shop.order_not_found", orders.find_order(older.order_no, person_id=w.other_cadre_id))
    mine = await orders.my_orders(w.cadre_id, 1, 1)
    assert mine["total"] == 2 and [o["order_no"] for o in mine["items"]] == [newer.order_no]
    second = await orders.my_orders(w.cadre_id, 2, 1)
    assert [o["order_no"] for o in second["items"]] == [older.order_no]
    assert (await orders.my_orders(w.cadre_id, 1, 10, OrderState.PAID))["total"] == 0
