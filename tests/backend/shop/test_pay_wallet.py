"""Paying a shop order from the wallet: cash only (the meal subsidy never pays for the shop),
the debit, the voucher to the shop's revenue, the payment and the state change together; paid
once however often it is asked; refused in words when the order is gone or the cash is short,
with nothing written."""

from datetime import timedelta

import pytest

from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.shop.models import Order, OrderState, Payment, PayMethod
from backend.shop.service import payments
from backend.shop.service.accounts import REVENUE
from backend.wallet.models import LedgerEntry, Wallet
from tests.fixtures.shop import make_order
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.money import grant_subsidy
from tests.helpers.shop_money import assert_shop_books_clean, cash_of


async def test_paying_from_the_wallet_takes_cash_and_books_the_shop_revenue(shop_world):
    await grant_subsidy(shop_world.cadre_id, 20_000)
    order = await make_order(shop_world, [(shop_world.apple, 2)])
    answer = await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
    assert (answer["state"], answer["paid_fen"], answer["method"]) == ("paid", 13_600, "wallet")
    wallet = await Wallet.get(person_id=shop_world.cadre_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (50_000 - 13_600, 20_000)
    payment = await Payment.get(order_id=order.id)
    assert (payment.method, payment.amount_fen) == (PayMethod.WALLET, 13_600)
    revenue = await LedgerEntry.get(account=REVENUE)
    assert (revenue.transfer_id, revenue.amount) == (payment.transfer_id, 13_600)
    order = await Order.get(id=order.id)
    assert (order.state, order.paid_fen, order.pay_method) == (OrderState.PAID, 13_600, PayMethod.WALLET)
    await assert_shop_books_clean()


async def test_paying_a_paid_order_again_answers_its_payment_and_takes_nothing_more(shop_world):
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    first = await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
    again = await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
    assert again == first
    assert await cash_of(shop_world.cadre_id) == 50_000 - 12_000
    assert await Payment.filter(order_id=order.id).count() == 1


async def test_cash_short_of_the_order_is_refused_in_words_and_nothing_is_written(shop_world):
    await grant_subsidy(shop_world.cadre_id, 100_000)  # subsidy cannot make up for the cash
    order = await make_order(shop_world, [(shop_world.tea, 5)])  # 600.00 > 500.00 of cash
    with pytest.raises(AppError) as refused:
        await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
    assert refused.value.code == "shop.wallet_short" and "600.00 元" in refused.value.message
    assert (await Order.get(id=order.id)).state == OrderState.PENDING
    assert await cash_of(shop_world.cadre_id) == 50_000
    assert not await Payment.exists() and not await LedgerEntry.exists(account=REVENUE)


@pytest.mark.parametrize("state", [OrderState.CANCELLED, OrderState.REFUNDED])
async def test_an_order_no_longer_pending_is_refused(shop_world, state):
    order = await make_order(shop_world, [(shop_world.tea, 1)], state=state)
    with pytest.raises(AppError) as refused:
        await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
    assert refused.value.code == "shop.order_not_pending"
    assert await cash_of(shop_world.cadre_id) == 50_000


async def test_an_order_past_its_time_is_refused_even_before_the_time_out_job_ran(shop_world):
    order = await make_order(shop_world, [(shop_world.tea, 1)], created_at=now() - timedelta(minutes=16))
    with pytest.raises(AppError) as refused:
        await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
    assert refused.value.code == "shop.order_not_pending"
    assert (await Order.get(id=order.id)).state == OrderState.PENDING and not await Payment.exists()


async def test_another_cadres_order_is_not_found(shop_world):
    order = await make_order(shop_world, [(shop_world.tea, 1)], person_id=shop_world.other_cadre_id)
    with pytest.raises(AppError) as refused:
        await payments.pay_with_wallet(shop_world.cadre_id, order.order_no, now())
    assert refused.value.code == "shop.order_not_found"


async def test_the_mini_program_pays_from_the_wallet(client, wechat, shop_world):
    token = await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.apple, 1)])
    paid = await client.post(
        f"/mp/v1/shop/orders/{order.order_no}/pay", headers=bearer(token), json={"method": "wallet"}
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["payment"]["state_label"] == "已支付" and paid.json()["request_payment"] is None
    unknown = await client.post(
        f"/mp/v1/shop/orders/{order.order_no}/pay", headers=bearer(token), json={"method": "cash"}
    )
    assert unknown.status_code == 422
    anonymous = await client.post(f"/mp/v1/shop/orders/{order.order_no}/pay", json={"method": "wallet"})
    assert anonymous.status_code == 401
