"""Money under real concurrency on PostgreSQL: no double charge, no balance below zero, books
balanced afterwards."""

import asyncio
from datetime import time

from backend.canteen.models import CanteenPayment, DinerCategory, PaymentStatus
from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.wallet.models import Wallet
from backend.wallet.service import paycode
from tests.fixtures.canteen import LUNCH_PRICE, cardholder, make_terminal, pay
from tests.helpers.money import assert_books_clean


async def test_one_card_at_twenty_terminals_at_once_pays_only_what_it_holds(
    client, canteen, runtime, requires_postgres
):
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59),
        20,
        {DinerCategory.STAFF: (LUNCH_PRICE, 0)},
        scope=Scope.EVERYTHING,
    )
    terminals = [await make_terminal(runtime.cipher, f"T-{i:02d}") for i in range(20)]
    person_id = await cardholder("D0001", "04A1B2C3", cash=5 * LUNCH_PRICE)
    results = await asyncio.gather(*(pay(client, t, f"TX-{i}", card_uid="04A1B2C3") for i, t in enumerate(terminals)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] * 5 + [402] * 15
    assert {r.json()["error"]["code"] for r in results if r.status_code == 402} == {"canteen.insufficient_balance"}
    assert (await Wallet.get(person_id=person_id)).cash_balance == 0
    assert await CanteenPayment.filter(status=PaymentStatus.PAID).count() == 5
    await assert_books_clean()


async def test_one_payment_retried_fifty_times_at_once_is_charged_once(client, terminal, requires_postgres):
    person_id = await cardholder("D0001", "04A1B2C3", cash=10 * LUNCH_PRICE)
    results = await asyncio.gather(*(pay(client, terminal, "TX-SAME", card_uid="04A1B2C3") for _ in range(50)))
    assert {r.status_code for r in results} == {200}
    assert all(r.json() == results[0].json() for r in results)
    assert (await Wallet.get(person_id=person_id)).cash_balance == 9 * LUNCH_PRICE
    assert await CanteenPayment.filter(terminal_txn_no="TX-SAME").count() == 1
    await assert_books_clean()


async def test_a_pay_code_payment_retried_at_once_is_charged_once_and_the_code_stays_spent(
    client, terminal, runtime, requires_postgres
):
    person_id = await cardholder("D0001", "04A1B2C3", cash=10 * LUNCH_PRICE)
    await runtime.redis.set("session:cadre:test-session", "{}")
    key = await paycode.key_for_session(runtime.redis, "session:cadre:test-session", person_id, ttl=600)
    code = paycode.code_for(key)
    results = await asyncio.gather(*(pay(client, terminal, "TX-CODE", pay_code=code) for _ in range(10)))
    assert {r.status_code for r in results} == {200}
    assert all(r.json() == results[0].json() for r in results)
    other = await pay(client, terminal, "TX-OTHER", pay_code=code)
    assert other.json()["error"]["code"] == "canteen.pay_code_used"
    assert (await Wallet.get(person_id=person_id)).cash_balance == 9 * LUNCH_PRICE
    assert await CanteenPayment.filter(status=PaymentStatus.PAID).count() == 1
    await assert_books_clean()


async def test_many_people_paying_at_once_keep_the_books_balanced(client, canteen, runtime, requires_postgres):
    terminals = [await make_terminal(runtime.cipher, f"T-{i}") for i in range(5)]
    people = [await cardholder(f"D000{i}", f"0A0B0C0{i}", cash=3000, subsidy=500) for i in range(1, 6)]
    calls = [
        pay(client, terminals[(i + j) % 5], f"TX-{i}-{j}", card_uid=f"0A0B0C0{i}")
        for i in range(1, 6)
        for j in range(4)
    ]
    results = await asyncio.gather(*calls)
    assert sorted(r.status_code for r in results).count(200) == 5  # one lunch each
    balances = [
        (w.cash_balance, w.subsidy_balance) for w in await Wallet.filter(person_id__in=people).order_by("person_id")
    ]
    # D0004 is outsourced: the contractor price (2000) and no subsidy; the others are staff.
    assert balances == [(2000, 0), (2000, 0), (2000, 0), (1000, 500), (2000, 0)]
    await assert_books_clean()
