"""Money of the shop under real concurrency on PostgreSQL: twenty copies of a payment
notification at once book one payment; a wallet payment racing its order's time-out ends paid
or released, never both; refunds of one line at once never exceed the line; the refunds of a
whole order finishing at once settle it. The shop's books are clean after each."""

import asyncio
from datetime import timedelta

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.shop.models import Order, OrderLine, OrderState, Payment, Refund, RefundState, Sku
from backend.shop.service import orders as shop_orders
from backend.shop.service import payments, refunds
from backend.shop.service.accounts import REVENUE
from backend.wallet.models import LedgerEntry
from tests.fixtures.shop import make_order
from tests.helpers.cadres import bound_token
from tests.helpers.shop_money import (
    assert_shop_books_clean,
    cash_of,
    notify,
    notify_refund,
    paid_by_wallet,
    time_out,
    wechat_order,
)

STAFF = Actor(admin_id=None, name="食味坊值班员")


async def test_twenty_duplicate_notifications_at_once_book_one_payment(
    client, wechat, shop_world, runtime, wechatpay, requires_postgres
):
    await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.apple, 2)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    answers = await asyncio.gather(*(notify(client, wechatpay, out_trade_no) for _ in range(20)))
    assert {a.status_code for a in answers} == {204}
    assert await Payment.filter(order_id=order.id).count() == 1
    assert await LedgerEntry.filter(account=REVENUE).count() == 1
    order = await Order.get(id=order.id)
    assert (order.state, order.paid_fen) == (OrderState.PAID, 13_600)
    await assert_shop_books_clean()


async def test_twenty_notifications_for_an_order_cancelled_meanwhile_book_and_refund_it_once(
    client, wechat, shop_world, runtime, wechatpay, requires_postgres
):
    await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.apple, 1), (shop_world.tea, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    assert await time_out(order)
    await asyncio.gather(*(notify(client, wechatpay, out_trade_no) for _ in range(20)))
    assert await Payment.filter(order_id=order.id).count() == 1
    opened = await Refund.filter(order_id=order.id).order_by("id")
    assert [r.amount_fen for r in opened] == [6_800, 12_000]
    await refunds.query_processing(runtime.wechatpay, now() + timedelta(seconds=1))
    # both refunds reported done at once, several times: the order ends refunded once
    await asyncio.gather(*(notify_refund(client, wechatpay, r.refund_no) for r in opened for _ in range(5)))
    order = await Order.get(id=order.id)
    assert (order.state, order.paid_fen, order.refunded_fen) == (OrderState.CANCELLED, 18_800, 18_800)
    assert await LedgerEntry.filter(account=REVENUE).count() == 3
    await assert_shop_books_clean()


async def test_a_wallet_payment_racing_the_time_out_ends_paid_or_released_never_both(shop_world, requires_postgres):
    due = now()
    orders = [
        await make_order(shop_world, [(shop_world.tea, 1)], created_at=due - timedelta(minutes=15)) for _ in range(4)
    ]

    async def pay(order: Order) -> str:
        try:
            await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
            return "paid"
        except AppError as refusal:
            return refusal.code

    *outcomes, expired_once, expired_again = await asyncio.gather(
        *(pay(o) for o in orders), shop_orders.expire_unpaid(due), shop_orders.expire_unpaid(due)
    )
    paid = 0
    for order, payment in zip(orders, outcomes, strict=True):
        order = await Order.get(id=order.id)
        has_payment = await Payment.exists(order_id=order.id)
        if order.state == OrderState.PAID:
            assert (payment, has_payment) == ("paid", True)
            paid += 1
        else:
            assert order.state == OrderState.CANCELLED
            assert (payment, has_payment) == ("shop.order_not_pending", False)
    assert expired_once + expired_again == len(orders) - paid
    assert (await Sku.get(id=shop_world.tea.id)).stock == 20 - paid
    assert await cash_of(shop_world.cadre_id) == 50_000 - paid * 12_000
    await assert_shop_books_clean()


async def test_refunds_of_one_line_at_once_never_exceed_it(shop_world, runtime, requires_postgres):
    # the tea line keeps the order open after the apples are all refunded
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2), (shop_world.tea, 1)]))
    line = await OrderLine.get(order_id=order.id, sku_id=shop_world.apple.id)

    async def refund(i: int) -> str:
        try:
            await refunds.refund_by_staff(
                STAFF, order.order_no, line.id, 1, "坏果", runtime.wechatpay, f"race-key-{i:04d}", now()
            )
            return "refunded"
        except AppError as refusal:
            return refusal.code

    outcomes = await asyncio.gather(*(refund(i) for i in range(12)))
    assert outcomes.count("refunded") <= 2
    assert set(outcomes) <= {
        "refunded",
        "shop.refund_over_line",
        "shop.refund_in_progress",
        "shop.order_not_refundable",
    }
    line = await OrderLine.get(id=line.id)
    refunded = await Refund.filter(line_id=line.id, state=RefundState.SUCCEEDED).count()
    assert line.refunded_quantity == refunded == outcomes.count("refunded")
    assert await cash_of(shop_world.cadre_id) == 50_000 - 25_600 + refunded * 6_800
    assert (await Sku.get(id=shop_world.apple.id)).stock == 48 + refunded
    await assert_shop_books_clean()


async def test_a_cadres_requests_at_once_open_one_refund(shop_world, requires_postgres):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2)]))
    line = await OrderLine.get(order_id=order.id)

    async def ask() -> str:
        try:
            await refunds.request(shop_world.cadre_id, order.order_no, line.id, 2, "都坏了", now())
            return "asked"
        except AppError as refusal:
            return refusal.code

    outcomes = await asyncio.gather(*(ask() for _ in range(10)))
    assert outcomes.count("asked") == 1
    assert await Refund.filter(order_id=order.id, state=RefundState.REQUESTED).count() == 1
