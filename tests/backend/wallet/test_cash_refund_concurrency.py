"""Cash refunds racing payments on one wallet, on PostgreSQL: never below zero, nothing paid
twice, every fen accounted for, books balanced afterwards."""

import asyncio

from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.wallet.models import CashRefund, LedgerEntry, Wallet
from backend.wallet.service import ledger
from tests.fixtures.canteen import LUNCH_PRICE, cardholder, make_terminal, pay
from tests.helpers import admin_token, bearer
from tests.helpers.money import assert_books_clean

REFUNDER = ["wallet.view_wallet", "wallet.refund_cash"]


def refund(client, token: str, person_id: int, key: str, amount: int):
    return client.post(
        f"/admin/v1/wallet/people/{person_id}/cash-refunds",
        headers={**bearer(token), "Idempotency-Key": key},
        json={"amount_fen": amount, "method": "cash", "reason": "本人申请退款"},
    )


async def refunds_payable() -> int:
    return sum(await LedgerEntry.filter(account=ledger.REFUNDS_PAYABLE).values_list("amount", flat=True))


async def test_refunds_racing_payments_on_one_wallet_never_overdraw(client, canteen, runtime, requires_postgres):
    terminals = [await make_terminal(runtime.cipher, f"T-{i:02d}") for i in range(8)]
    person_id = await cardholder("D0001", "04A1B2C3", cash=5 * LUNCH_PRICE)
    token = await admin_token(client, "finance", REFUNDER)
    calls = [pay(client, t, f"TX-{i}", card_uid="04A1B2C3") for i, t in enumerate(terminals)]
    calls += [refund(client, token, person_id, f"refund-race-{i}", LUNCH_PRICE) for i in range(8)]
    results = await asyncio.gather(*calls)
    assert {r.status_code for r in results} <= {200, 402, 422}
    paid = await CanteenPayment.filter(status=PaymentStatus.PAID).count()
    refunded = await CashRefund.all().count()
    assert paid + refunded == 5  # exactly what the cash held, whoever won each race
    assert (await Wallet.get(person_id=person_id)).cash_balance == 0
    assert await refunds_payable() == refunded * LUNCH_PRICE
    await assert_books_clean()


async def test_one_refund_sent_twenty_times_at_once_pays_once(client, canteen, requires_postgres):
    person_id = await cardholder("D0001", "04A1B2C3", cash=10_000)
    token = await admin_token(client, "finance", REFUNDER)
    results = await asyncio.gather(*(refund(client, token, person_id, "refund-same-key", 3_000) for _ in range(20)))
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["id"] for r in results}) == 1
    assert (await Wallet.get(person_id=person_id)).cash_balance == 7_000
    assert await refunds_payable() == 3_000
    await assert_books_clean()


async def test_a_double_clicked_closing_or_full_refund_answers_both_clicks_as_done(client, canteen, requires_postgres):
    """The second click waits for the wallet's lock while the first pays out: it must get the
    first answer, not "already closed" or "not enough cash"."""
    from backend.core.audit import CLI_ACTOR
    from backend.wallet.service import wallets

    closing_id = await cardholder("D0001", "04A1B2C3", cash=10_000)
    emptied_id = await cardholder("D0002", "04A1B2C4", cash=3_000)
    adjusted_id = await cardholder("D0003", "04A1B2C5", cash=2_000)
    token = await admin_token(client, "finance", REFUNDER)
    closes = [
        client.post(
            f"/admin/v1/wallet/people/{closing_id}/close",
            headers={**bearer(token), "Idempotency-Key": "close-twice"},
            json={"method": "cash", "reason": "调离"},
        )
        for _ in range(5)
    ]
    refunds = [refund(client, token, emptied_id, "refund-all-twice", 3_000) for _ in range(5)]
    answers = await asyncio.gather(*closes, *refunds)
    assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers if a.status_code != 200]
    assert len({a.json()["id"] for a in answers[:5]}) == 1 and len({a.json()["id"] for a in answers[5:]}) == 1
    adjusted = await asyncio.gather(
        *(wallets.adjust(CLI_ACTOR, adjusted_id, -2_000, "冲减误充", "adjust-twice") for _ in range(5))
    )
    assert sorted(a["replayed"] for a in adjusted) == [False] + [True] * 4
    assert await refunds_payable() == 13_000
    assert [w.cash_balance for w in await Wallet.filter(person_id__in=[closing_id, emptied_id, adjusted_id])] == [0] * 3
    await assert_books_clean()


async def test_closing_while_paying_leaves_nothing_and_accounts_for_everything(
    client, canteen, runtime, requires_postgres
):
    terminals = [await make_terminal(runtime.cipher, f"T-{i:02d}") for i in range(6)]
    person_id = await cardholder("D0001", "04A1B2C3", cash=10 * LUNCH_PRICE)
    token = await admin_token(client, "finance", REFUNDER)
    close = client.post(
        f"/admin/v1/wallet/people/{person_id}/close",
        headers={**bearer(token), "Idempotency-Key": "close-race-1"},
        json={"method": "bank_transfer", "payout_reference": "BOC-1", "reason": "调离"},
    )
    results = await asyncio.gather(
        close, *(pay(client, t, f"TX-{i}", card_uid="04A1B2C3") for i, t in enumerate(terminals))
    )
    assert results[0].status_code == 200, results[0].text
    paid = await CanteenPayment.filter(status=PaymentStatus.PAID).count()
    assert results[0].json()["amount_fen"] == (10 - paid) * LUNCH_PRICE
    assert (await Wallet.get(person_id=person_id)).cash_balance == 0
    await assert_books_clean()
