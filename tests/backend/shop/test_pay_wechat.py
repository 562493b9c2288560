"""Paying a shop order by WeChat Pay: the order goes to WeChat Pay as `SP` + its number, the
wallet's notification endpoint hands the verified notice to the shop by that prefix, and the
order is booked once, with WeChat Pay's amount checked; a lost notification is found by the
query job; money that arrives for an order cancelled meanwhile is booked and refunded whole."""

import asyncio
from datetime import timedelta

import pytest

from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.shop.models import Order, OrderState, Payment, PayMethod, Refund, RefundState, Sku
from backend.shop.service import payments, refunds
from backend.shop.service.accounts import REVENUE
from backend.wallet.models import LedgerEntry
from backend.wallet.service import ledger
from tests.fixtures.shop import make_order
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.shop_money import (
    assert_shop_books_clean,
    cash_of,
    notify,
    notify_refund,
    time_out,
    wechat_order,
)


@pytest.fixture
async def bound(client, wechat, shop_world) -> str:
    """张伟 signed in with WeChat (bound), as a WeChat Pay payer must be."""
    return await bound_token(client, wechat)


async def test_the_mini_program_gets_request_payment_params_for_the_order(client, bound, shop_world, wechatpay):
    order = await make_order(shop_world, [(shop_world.apple, 1)])
    answer = await client.post(
        f"/mp/v1/shop/orders/{order.order_no}/pay", headers=bearer(bound), json={"method": "wechat"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["request_payment"]["package"].startswith("prepay_id=")
    sent = wechatpay.state.orders[f"SP{order.order_no}"]
    assert (sent["total"], sent["openid"]) == (6_800, "o-zhangwei")
    assert (await Order.get(id=order.id)).out_trade_no == f"SP{order.order_no}"


async def test_a_verified_notification_books_the_order_once(client, bound, shop_world, runtime, wechatpay):
    order = await make_order(shop_world, [(shop_world.apple, 2)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    for _ in range(3):
        assert (await notify(client, wechatpay, out_trade_no)).status_code == 204
    order = await Order.get(id=order.id)
    assert (order.state, order.paid_fen, order.pay_method) == (OrderState.PAID, 13_600, PayMethod.WECHAT)
    payment = await Payment.get(order_id=order.id)
    assert payment.transaction_id == wechatpay.state.orders[out_trade_no]["transaction_id"]
    legs = dict(await LedgerEntry.filter(transfer_id=payment.transfer_id).values_list("account", "amount"))
    assert legs == {ledger.WECHATPAY_CLEARING: -13_600, REVENUE: 13_600}
    await assert_shop_books_clean()


async def test_a_forged_notification_books_nothing(client, bound, shop_world, runtime, wechatpay):
    order = await make_order(shop_world, [(shop_world.apple, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    refused = await notify(client, wechatpay, out_trade_no, tamper=True)
    assert refused.status_code == 401
    assert (await Order.get(id=order.id)).state == OrderState.PENDING and not await Payment.exists()


async def test_a_notification_with_another_amount_is_logged_and_not_booked(
    client, bound, shop_world, runtime, wechatpay
):
    order = await make_order(shop_world, [(shop_world.apple, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    assert (await notify(client, wechatpay, out_trade_no, amount_fen=1)).status_code == 204
    assert (await Order.get(id=order.id)).state == OrderState.PENDING and not await Payment.exists()


async def test_a_notice_of_orders_no_module_declares_is_acknowledged_and_changes_nothing(client, wechatpay):
    answer = await notify(client, wechatpay, "ZZ2024060100001", amount_fen=100)
    assert answer.status_code == 204
    assert not await LedgerEntry.exists()


async def test_a_lost_notification_is_found_by_the_query_job(client, bound, shop_world, runtime, wechatpay):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    wechatpay.mark_paid(out_trade_no)
    later = now() + payments.QUERY_AFTER + timedelta(seconds=1)
    assert await payments.query_pending(runtime.wechatpay, later) == {"paid": 1}
    assert await payments.query_pending(runtime.wechatpay, later) == {}
    assert (await Order.get(id=order.id)).state == OrderState.PAID
    await assert_shop_books_clean()


async def test_paying_by_wechat_needs_a_bound_wechat_and_a_pending_order(client, shop_world, runtime):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    with pytest.raises(AppError) as unbound:
        await payments.pay_with_wechat(runtime.wechatpay, shop_world.cadre_id, order.order_no, now())
    assert unbound.value.code == "shop.wechat_not_bound"
    with pytest.raises(AppError) as off:
        await payments.pay_with_wechat(None, shop_world.cadre_id, order.order_no, now())
    assert off.value.code == "shop.wechatpay_not_configured"


async def test_money_for_an_order_cancelled_meanwhile_is_booked_and_refunded_whole(
    client, bound, shop_world, runtime, wechatpay
):
    order = await make_order(shop_world, [(shop_world.apple, 1), (shop_world.tea, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    # the time-out cancels it (stock put back) while the cadre is still in WeChat Pay
    assert await time_out(order)
    assert (await notify(client, wechatpay, out_trade_no)).status_code == 204
    assert (await notify(client, wechatpay, out_trade_no)).status_code == 204
    order = await Order.get(id=order.id)
    assert (order.state, order.paid_fen, order.refunded_fen) == (OrderState.CANCELLED, 18_800, 0)
    opened = await Refund.filter(order_id=order.id).order_by("id")
    assert [(r.amount_fen, r.state, r.restock, r.requested_by) for r in opened] == [
        (6_800, RefundState.PROCESSING, False, "系统"),
        (12_000, RefundState.PROCESSING, False, "系统"),
    ]
    # the refund job asks WeChat Pay for them, then WeChat Pay reports them done
    assert await refunds.query_processing(runtime.wechatpay, now() + timedelta(seconds=1)) == {"processing": 2}
    for refund in opened:
        assert (await notify_refund(client, wechatpay, refund.refund_no)).status_code == 204
    order = await Order.get(id=order.id)
    assert (order.state, order.paid_fen, order.refunded_fen) == (OrderState.CANCELLED, 18_800, 18_800)
    assert [(await Sku.get(id=s.id)).stock for s in (shop_world.apple, shop_world.tea)] == [50, 20]
    await assert_shop_books_clean()


async def test_duplicate_notifications_at_once_book_one_payment(client, bound, shop_world, runtime, wechatpay):
    order = await make_order(shop_world, [(shop_world.apple, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    answers = await asyncio.gather(*(notify(client, wechatpay, out_trade_no) for _ in range(5)))
    assert {a.status_code for a in answers} == {204}
    assert await Payment.filter(order_id=order.id).count() == 1
    assert await LedgerEntry.filter(account=REVENUE).count() == 1


async def test_the_query_job_finds_money_paid_for_a_cancelled_order_and_opens_its_refund(
    client, bound, shop_world, runtime, wechatpay
):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    assert await time_out(order)
    wechatpay.mark_paid(out_trade_no)
    later = now() + payments.QUERY_AFTER + timedelta(seconds=1)
    assert await payments.query_pending(runtime.wechatpay, later) == {"paid_after_cancel": 1}
    assert await payments.query_pending(runtime.wechatpay, later) == {}
    assert [r.state for r in await Refund.filter(order_id=order.id)] == [RefundState.PROCESSING]
    too_late = now() + payments.GIVE_UP_AFTER + timedelta(minutes=1)
    other = await make_order(shop_world, [(shop_world.apple, 1)])
    await wechat_order(runtime.wechatpay, other)
    assert await payments.query_pending(runtime.wechatpay, too_late) == {}


async def test_the_wechat_order_expires_when_the_stock_hold_ends(client, bound, shop_world, runtime, wechatpay):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    await wechat_order(runtime.wechatpay, order)
    sent = next(r for r in wechatpay.state.requests if r["path"] == "/v3/pay/transactions/jsapi")
    assert sent["payload"]["time_expire"] == order.expires_at.isoformat(timespec="seconds")


async def test_a_wallet_payment_after_a_wechat_payment_books_the_wechat_one_and_takes_no_cash(
    client, bound, shop_world, runtime, wechatpay
):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)
    wechatpay.mark_paid(out_trade_no)  # paid in WeChat; its notification is late
    cash = await cash_of(shop_world.cadre_id)

    answer = await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now(), runtime.wechatpay)

    assert (answer["state"], answer["method"]) == ("paid", "wechat")
    assert await cash_of(shop_world.cadre_id) == cash
    assert (await notify(client, wechatpay, out_trade_no)).status_code == 204
    assert await Payment.filter(order_id=order.id).count() == 1
    await assert_shop_books_clean()


async def test_a_wallet_payment_closes_the_unpaid_wechat_order_so_it_cannot_be_paid_as_well(
    client, bound, shop_world, runtime, wechatpay
):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    out_trade_no = await wechat_order(runtime.wechatpay, order)

    answer = await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now(), runtime.wechatpay)

    assert (answer["state"], answer["method"]) == ("paid", "wallet")
    assert wechatpay.state.orders[out_trade_no]["trade_state"] == "CLOSED"
    with pytest.raises(ValueError):
        wechatpay.mark_paid(out_trade_no)
    await assert_shop_books_clean()


async def test_a_wallet_payment_waits_when_wechat_pay_cannot_say_whether_the_order_was_paid(
    client, bound, shop_world, runtime, wechatpay
):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    await wechat_order(runtime.wechatpay, order)
    wechatpay.state.busy = True
    with pytest.raises(AppError) as refused:
        await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now(), runtime.wechatpay)
    assert refused.value.code == "shop.wechatpay_unavailable"
    assert (await Order.get(id=order.id)).state == OrderState.PENDING
