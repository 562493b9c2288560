"""WeChat Pay top-up: an order for wx.requestPayment, credit only from a verified notification
with the order's amount, exactly once however often WeChat Pay repeats it."""

import asyncio
import uuid
from datetime import timedelta

from tortoise.transactions import in_transaction

from backend.accounts.models import Person
from backend.core.timeutil import now
from backend.wallet.models import LedgerEntry, TopUpOrder, TopUpStatus, TransferKind, Wallet
from backend.wallet.service import ledger, topup, wallets
from tests.helpers import bearer, seed_units_and_roster
from tests.helpers.cadres import bound_token
from tests.helpers.money import assert_books_clean

NOTIFY = "/pay/wechat/notify"


def tap() -> str:
    """The key the mini-program makes for one tap on 充值."""
    return f"tap-{uuid.uuid4().hex}"


async def order_for(client, token, amount=10_000) -> str:
    response = await client.post(
        "/mp/v1/wallet/topups", headers=bearer(token), json={"amount_fen": amount, "client_ref": tap()}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["request_payment"]["package"].startswith("prepay_id=") and body["request_payment"]["signType"] == "RSA"
    return body["order"]["out_trade_no"]


async def notify(client, wechatpay, out_trade_no, **kwargs):
    headers, body = wechatpay.build_notification(out_trade_no, **kwargs)
    return await client.post(NOTIFY, content=body, headers=headers)


async def cash_of(employee_no="D0001") -> int:
    person = await Person.get(employee_no=employee_no)
    wallet = await Wallet.get_or_none(person_id=person.id)
    return wallet.cash_balance if wallet else 0


async def test_verified_notification_credits_the_wallet(client, runtime, wechat, wechatpay):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    out_trade_no = await order_for(client, token)
    assert (await notify(client, wechatpay, out_trade_no)).status_code == 204
    assert await cash_of() == 10_000
    status = await client.get(f"/mp/v1/wallet/topups/{out_trade_no}", headers=bearer(token))
    assert status.json()["status"] == "paid"
    await assert_books_clean()


async def test_duplicate_notifications_in_parallel_credit_once(client, runtime, wechat, wechatpay):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    out_trade_no = await order_for(client, token)
    results = await asyncio.gather(*(notify(client, wechatpay, out_trade_no) for _ in range(20)))
    assert {r.status_code for r in results} == {204}
    assert await cash_of() == 10_000
    topups = [e for e in await LedgerEntry.filter(account=ledger.WECHATPAY_CLEARING)]
    assert len(topups) == 1
    await assert_books_clean()


async def test_forged_or_stale_notifications_credit_nothing(client, runtime, wechat, wechatpay):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    out_trade_no = await order_for(client, token)
    tampered = await notify(client, wechatpay, out_trade_no, tamper=True)
    assert tampered.status_code == 401 and tampered.json()["error"]["code"] == "wallet.notification_refused"
    stale = await notify(client, wechatpay, out_trade_no, timestamp=int(now().timestamp()) - 301)
    assert stale.status_code == 401
    assert await cash_of() == 0


async def test_notification_with_another_amount_is_held_for_review(client, runtime, wechat, wechatpay):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    out_trade_no = await order_for(client, token)
    await notify(client, wechatpay, out_trade_no, amount_fen=1)
    assert await cash_of() == 0
    assert (await TopUpOrder.get(out_trade_no=out_trade_no)).status == TopUpStatus.AMOUNT_MISMATCH


async def test_order_whose_notification_never_came_is_credited_by_the_query_job(client, runtime, wechat, wechatpay):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    out_trade_no = await order_for(client, token)
    wechatpay.mark_paid(out_trade_no)
    later = now() + topup.QUERY_AFTER + timedelta(seconds=1)
    assert await topup.query_pending(runtime.wechatpay, later) == {"credited": 1}
    assert await topup.query_pending(runtime.wechatpay, later) == {}
    assert await cash_of() == 10_000
    await assert_books_clean()


async def test_topup_repays_an_offline_overdraft_first(client, runtime, wechat, wechatpay):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    wallet = await wallets.ensure_wallet((await Person.get(employee_no="D0001")).id)
    async with in_transaction() as conn:  # what an offline payment beyond the balance leaves behind
        await Wallet.filter(id=wallet.id).using_db(conn).update(overdraft_owed=1500)
        await ledger.post(
            conn,
            TransferKind.CANTEEN_PAYMENT,
            [(ledger.OFFLINE_OVERDRAFT, -1500), (ledger.canteen_revenue(1), 1500)],
            at=now(),
        )
    out_trade_no = await order_for(client, token)
    await notify(client, wechatpay, out_trade_no)
    wallet = await Wallet.get(id=wallet.id)
    assert (wallet.cash_balance, wallet.overdraft_owed) == (10_000 - 1500, 0)
    assert sum(e.amount for e in await LedgerEntry.filter(account=ledger.OFFLINE_OVERDRAFT)) == 0


async def test_topup_needs_a_cadre_session(client):
    response = await client.post("/mp/v1/wallet/topups", json={"amount_fen": 10_000, "client_ref": tap()})
    assert response.status_code == 401


async def test_a_top_up_racing_a_closing_never_leaves_a_pending_order_on_a_closed_wallet(
    client, runtime, wechat, wechatpay, requires_postgres
):
    from backend.core.audit import CLI_ACTOR
    from backend.core.errors import AppError
    from backend.wallet.models import RefundMethod
    from backend.wallet.service import cash_refund

    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    person = await Person.get(employee_no="D0001")
    await wallets.ensure_wallet(person.id)

    async def close() -> str:
        try:
            await cash_refund.close_wallet(
                CLI_ACTOR, person.id, cash_refund.Payout(RefundMethod.CASH, "", "调离"), "close-race"
            )
            return "closed"
        except AppError as refusal:
            return refusal.code

    topups = [
        client.post("/mp/v1/wallet/topups", headers=bearer(token), json={"amount_fen": 1_000, "client_ref": tap()})
        for _ in range(5)
    ]
    *answers, closing = await asyncio.gather(*topups, close())
    created = [a for a in answers if a.status_code == 201]
    wallet = await Wallet.get(person_id=person.id)
    if wallet.closed_at is not None:
        assert closing == "closed" and await TopUpOrder.filter(status=TopUpStatus.PENDING).count() == 0
        assert all(a.json()["error"]["code"] == "wallet.wallet_closed" for a in answers if a.status_code != 201)
    else:
        assert closing == "wallet.close_pending_topup" and created


async def post_topup(client, token, amount: int, key: str):
    return await client.post(
        "/mp/v1/wallet/topups", headers=bearer(token), json={"amount_fen": amount, "client_ref": key}
    )


async def test_a_retried_tap_gets_the_same_order_and_never_a_second(client, runtime, wechat, wechatpay):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    key = tap()
    first, again = await post_topup(client, token, 5_000, key), await post_topup(client, token, 5_000, key)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json()["order"]["out_trade_no"] == again.json()["order"]["out_trade_no"]
    assert first.json()["request_payment"]["package"] == again.json()["request_payment"]["package"]
    assert await TopUpOrder.all().count() == 1
    refused = await post_topup(client, token, 6_000, key)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wallet.topup_client_ref_reused"
    assert await TopUpOrder.all().count() == 1


async def test_a_tap_retried_after_it_was_paid_gets_the_paid_order_without_paying_again(
    client, runtime, wechat, wechatpay
):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    key = tap()
    out_trade_no = (await post_topup(client, token, 5_000, key)).json()["order"]["out_trade_no"]
    await notify(client, wechatpay, out_trade_no)
    again = await post_topup(client, token, 5_000, key)
    assert again.status_code == 201
    assert again.json()["order"]["out_trade_no"] == out_trade_no and again.json()["order"]["status"] == "paid"
    assert again.json()["request_payment"] is None
    assert await TopUpOrder.all().count() == 1


async def test_a_tap_that_found_wechat_pay_down_is_placed_again_under_its_number_on_retry(
    client, runtime, wechat, wechatpay
):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    key = tap()
    wechatpay.state.busy = True
    down = await post_topup(client, token, 5_000, key)
    assert down.status_code == 503 and down.json()["error"]["code"] == "wallet.topup_unavailable"
    assert (await TopUpOrder.get(client_ref=key)).status == TopUpStatus.CLOSED
    wechatpay.state.busy = False
    again = await post_topup(client, token, 5_000, key)
    assert again.status_code == 201 and again.json()["order"]["status"] == "pending"
    assert await TopUpOrder.all().count() == 1


async def test_the_same_tap_sent_at_once_makes_one_order(client, runtime, wechat, wechatpay, requires_postgres):
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    key = tap()
    answers = await asyncio.gather(*(post_topup(client, token, 2_000, key) for _ in range(6)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["order"]["out_trade_no"] for a in answers}) == 1
    assert await TopUpOrder.all().count() == 1
