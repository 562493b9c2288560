"""Cash paid back (现金退款) and wallets closed (销户): from the cash only, never below zero, once
per idempotency key, into the refunds-payable account; the subsidy is never paid out."""

import pytest
from tortoise.transactions import in_transaction

from backend.accounts.models import Person
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now, today
from backend.reconcile import check
from backend.wallet.models import Card, CardState, CashRefund, LedgerEntry, TopUpOrder, Wallet
from backend.wallet.service import ledger, wallets
from tests.fixtures.canteen import cardholder
from tests.helpers import admin_token, bearer
from tests.helpers.money import assert_books_clean

REFUNDER = ["wallet.view_wallet", "wallet.refund_cash"]


def keyed(token: str, key: str) -> dict:
    return {**bearer(token), "Idempotency-Key": key}


async def account_total(account: str) -> int:
    return sum(await LedgerEntry.filter(account=account).values_list("amount", flat=True))


async def unit_funding_of(person_id: int) -> str:
    return ledger.unit_subsidy_funding((await Person.get(id=person_id)).unit_id)


async def test_a_refund_pays_cash_into_refunds_payable_once_however_often_it_is_sent(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=10_000, subsidy=2_000)
    token = await admin_token(client, "finance", REFUNDER)
    body = {
        "amount_fen": 3_000,
        "method": "bank_transfer",
        "payout_reference": "BOC20261122001",
        "reason": "本人申请退款",
    }
    first = await client.post(
        f"/admin/v1/wallet/people/{person_id}/cash-refunds", headers=keyed(token, "refund-0001"), json=body
    )
    again = await client.post(
        f"/admin/v1/wallet/people/{person_id}/cash-refunds", headers=keyed(token, "refund-0001"), json=body
    )
    assert first.status_code == 200 and first.json()["replayed"] is False
    assert again.status_code == 200 and again.json()["replayed"] is True and again.json()["id"] == first.json()["id"]
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (7_000, 2_000)
    assert await account_total(ledger.REFUNDS_PAYABLE) == 3_000
    refund = await CashRefund.get()
    assert (refund.method.value, refund.payout_reference, refund.admin_name) == (
        "bank_transfer",
        "BOC20261122001",
        "finance",
    )
    assert await AuditEntry.filter(action="wallet.refund_cash").count() == 1
    listed = await client.get(f"/admin/v1/wallet/people/{person_id}/cash-refunds", headers=bearer(token))
    assert [r["amount_fen"] for r in listed.json()["items"]] == [3_000]
    await assert_books_clean()


async def test_a_key_reused_for_another_amount_person_or_operation_is_refused_or_kept_apart(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=10_000, subsidy=2_000)
    other_id = await cardholder("D0002", "AA000002", cash=10_000)
    token = await admin_token(client, "finance", REFUNDER)
    body = {"amount_fen": 3_000, "method": "cash", "reason": "本人申请退款"}
    url = "/admin/v1/wallet/people/{}/cash-refunds"
    assert (await client.post(url.format(person_id), headers=keyed(token, "refund-0009"), json=body)).status_code == 200
    other_amount = await client.post(
        url.format(person_id), headers=keyed(token, "refund-0009"), json={**body, "amount_fen": 4_000}
    )
    other_person = await client.post(url.format(other_id), headers=keyed(token, "refund-0009"), json=body)
    for refused in (other_amount, other_person):
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "wallet.key_used_elsewhere"
    closed = await client.post(
        f"/admin/v1/wallet/people/{person_id}/close",
        headers=keyed(token, "refund-0009"),
        json={"method": "cash", "reason": "调离本单位"},
    )
    assert closed.status_code == 200 and closed.json()["closes_wallet"] is True and closed.json()["replayed"] is False
    assert (await Wallet.get(person_id=person_id)).closed_at is not None
    assert (await Wallet.get(person_id=other_id)).cash_balance == 10_000
    await assert_books_clean()


async def test_an_adjustment_key_reused_for_another_person_adjusts_nobody(client, canteen):
    person_id = await cardholder("D0001", "AA000001")
    other_id = await cardholder("D0002", "AA000002")
    await wallets.adjust(CLI_ACTOR, person_id, 500, "补记充值", "adjust-0001")
    with pytest.raises(AppError) as refused:
        await wallets.adjust(CLI_ACTOR, other_id, 500, "补记充值", "adjust-0001")
    assert refused.value.code == "wallet.key_used_elsewhere"
    assert (await wallets.adjust(CLI_ACTOR, person_id, 500, "补记充值", "adjust-0001"))["replayed"] is True
    assert (await Wallet.get(person_id=other_id)).cash_balance == 0
    assert (await Wallet.get(person_id=person_id)).cash_balance == 500


async def test_a_refund_beyond_the_cash_changes_nothing_even_with_subsidy_left(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000, subsidy=5_000)
    token = await admin_token(client, "finance", REFUNDER)
    refused = await client.post(
        f"/admin/v1/wallet/people/{person_id}/cash-refunds",
        headers=keyed(token, "refund-0002"),
        json={"amount_fen": 1_001, "method": "cash", "reason": "全部退还"},
    )
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "wallet.refund_amount_invalid"
    zero = await client.post(
        f"/admin/v1/wallet/people/{person_id}/cash-refunds",
        headers=keyed(token, "refund-0003"),
        json={"amount_fen": 0, "method": "cash", "reason": "全部退还"},
    )
    assert zero.status_code == 422
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (1_000, 5_000)
    assert await CashRefund.all().count() == 0
    await assert_books_clean()


async def test_a_refund_needs_a_valid_method_a_bank_reference_and_an_idempotency_key(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    token = await admin_token(client, "finance", REFUNDER)
    url = f"/admin/v1/wallet/people/{person_id}/cash-refunds"
    no_reference = await client.post(
        url, headers=keyed(token, "refund-0004"), json={"amount_fen": 100, "method": "bank_transfer", "reason": "退款"}
    )
    assert no_reference.json()["error"]["code"] == "wallet.refund_reference_required"
    bad_method = await client.post(
        url, headers=keyed(token, "refund-0005"), json={"amount_fen": 100, "method": "alipay", "reason": "退款"}
    )
    no_key = await client.post(url, headers=bearer(token), json={"amount_fen": 100, "method": "cash", "reason": "退款"})
    assert bad_method.status_code == 422 and no_key.status_code == 422
    assert no_key.json()["error"]["details"]["fields"][0]["field"] == "Idempotency-Key"
    assert (await Wallet.get(person_id=person_id)).cash_balance == 1_000


async def test_refunding_and_closing_need_the_refund_permission(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    token = await admin_token(client, "adjuster", ["wallet.view_wallet", "wallet.adjust_wallet"])
    refund = await client.post(
        f"/admin/v1/wallet/people/{person_id}/cash-refunds",
        headers=keyed(token, "refund-0006"),
        json={"amount_fen": 100, "method": "cash", "reason": "退款"},
    )
    close = await client.post(
        f"/admin/v1/wallet/people/{person_id}/close",
        headers=keyed(token, "close-00001"),
        json={"method": "cash", "reason": "离职销户"},
    )
    assert refund.status_code == 403 and close.status_code == 403
    assert (await Wallet.get(person_id=person_id)).cash_balance == 1_000


async def test_closing_pays_all_cash_returns_the_subsidy_and_cancels_the_cards(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=4_250, subsidy=1_800)
    token = await admin_token(client, "finance", REFUNDER)
    url = f"/admin/v1/wallet/people/{person_id}/close"
    body = {"method": "cash", "payout_reference": "SJ-0042", "reason": "调离本单位"}
    closed = await client.post(url, headers=keyed(token, "close-00002"), json=body)
    assert closed.status_code == 200, closed.text
    assert (closed.json()["amount_fen"], closed.json()["subsidy_forfeited_fen"]) == (4_250, 1_800)
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (0, 0) and wallet.closed_at is not None
    assert await account_total(ledger.REFUNDS_PAYABLE) == 4_250
    assert await account_total(await unit_funding_of(person_id)) == 0  # the granted 1,800 came back
    assert {c.state for c in await Card.filter(person_id=person_id)} == {CardState.CANCELLED}
    assert "AA000001" in (await wallets.blacklist())[1]
    replay = await client.post(url, headers=keyed(token, "close-00002"), json=body)
    assert replay.json()["replayed"] is True
    twice = await client.post(url, headers=keyed(token, "close-00003"), json=body)
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "wallet.wallet_closed"
    assert await AuditEntry.filter(action="wallet.close").count() == 1
    await assert_books_clean()


async def test_closing_is_refused_while_a_top_up_is_pending(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    await TopUpOrder.create(out_trade_no="TU-PENDING-1", person_id=person_id, amount_fen=5_000)
    token = await admin_token(client, "finance", REFUNDER)
    refused = await client.post(
        f"/admin/v1/wallet/people/{person_id}/close",
        headers=keyed(token, "close-00004"),
        json={"method": "cash", "reason": "离职销户"},
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wallet.close_pending_topup"
    assert "充值" in refused.json()["error"]["message"]
    wallet = await Wallet.get(person_id=person_id)
    assert wallet.cash_balance == 1_000 and wallet.closed_at is None
    assert await Card.filter(person_id=person_id, state=CardState.ACTIVE).count() == 1


async def test_refunding_and_closing_are_refused_while_an_offline_overdraft_is_owed(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    wallet = await Wallet.get(person_id=person_id)
    async with in_transaction() as conn:
        await wallets.advance_overdraft(conn, wallet.id, 500, at=now(), reference="payment:offline")
    token = await admin_token(client, "finance", REFUNDER)
    refund = await client.post(
        f"/admin/v1/wallet/people/{person_id}/cash-refunds",
        headers=keyed(token, "refund-0007"),
        json={"amount_fen": 100, "method": "cash", "reason": "退款"},
    )
    close = await client.post(
        f"/admin/v1/wallet/people/{person_id}/close",
        headers=keyed(token, "close-00005"),
        json={"method": "cash", "reason": "离职销户"},
    )
    assert {refund.json()["error"]["code"], close.json()["error"]["code"]} == {"wallet.refund_overdraft_owed"}
    assert refund.status_code == close.status_code == 409
    assert (await Wallet.get(person_id=person_id)).cash_balance == 1_500
    await assert_books_clean()


async def test_a_closed_wallet_refuses_top_ups_until_a_new_card_reopens_it(app, canteen, runtime):
    from backend.wallet.models import RefundMethod
    from backend.wallet.service import cash_refund, topup

    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    await Person.filter(id=person_id).update(wechat_openid="o-test-openid")
    await cash_refund.close_wallet(
        CLI_ACTOR, person_id, cash_refund.Payout(RefundMethod.CASH, "", "离职"), "close-key-1"
    )
    with pytest.raises(AppError) as refused:
        await topup.create(runtime.wechatpay, person_id, 1_000, "tap-after-closing")
    assert refused.value.code == "wallet.wallet_closed"
    assert await TopUpOrder.filter(person_id=person_id).count() == 0
    await wallets.issue_card(CLI_ACTOR, person_id, "AA000002")
    assert (await Wallet.get(person_id=person_id)).closed_at is None


async def test_reconciliation_names_a_refund_its_account_did_not_receive(app, canteen):
    from backend.wallet.models import RefundMethod
    from backend.wallet.service import cash_refund

    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    await cash_refund.refund_cash(
        CLI_ACTOR, person_id, 400, cash_refund.Payout(RefundMethod.CASH, "", "退款"), "refund-key-1"
    )
    await assert_books_clean()
    await CashRefund.all().update(amount_fen=500)
    problems = await check(today())
    assert any("现金退款" in p for p in problems), problems
