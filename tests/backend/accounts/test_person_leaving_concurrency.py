"""A person's leaving (离职) raced on PostgreSQL: sent twice by one form, by two forms at once,
against payments and against a card being issued. The cash is paid out once, nothing is left
on a live card, and the books balance."""

import asyncio

from backend.accounts.models import Person
from backend.accounts.service import leaving
from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.core.audit import CLI_ACTOR, Actor
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.wallet.models import Card, CardState, CashRefund, Wallet
from backend.wallet.service import wallets
from tests.fixtures.canteen import LUNCH_PRICE, cardholder, make_terminal, pay
from tests.helpers.money import assert_books_clean

ANSWERS = {"wallet_refund_method": "cash"}


def everything(_permission) -> Scope:
    return Scope.EVERYTHING


def leave(person_id: int, key: str, actor: Actor = CLI_ACTOR):
    return leaving.leave_person(actor, Scope.EVERYTHING, person_id, "调出本市", ANSWERS, key, everything)


async def outcomes(calls) -> list:
    return await asyncio.gather(*calls, return_exceptions=True)


async def test_one_leave_form_sent_ten_times_at_once_pays_out_once(client, canteen, requires_postgres):
    person_id = await cardholder("D0001", "AA000001", cash=6_000, subsidy=400)
    answers = await outcomes(leave(person_id, "leave-same-form") for _ in range(10))
    assert all(isinstance(a, dict) for a in answers), answers
    assert sorted(a["replayed"] for a in answers) == [False] + [True] * 9
    refund = await CashRefund.get()
    assert (refund.amount_fen, refund.subsidy_forfeited_fen) == (6_000, 400)
    assert not (await Person.get(id=person_id)).is_active
    await assert_books_clean()


async def test_two_admins_leaving_one_person_at_once_settle_it_once(client, canteen, requires_postgres):
    person_id = await cardholder("D0001", "AA000001", cash=6_000)
    admins = [Actor(admin_id=i, name=f"admin{i}") for i in range(1, 7)]
    answers = await outcomes(leave(person_id, f"form-of-{a.admin_id}", a) for a in admins)
    done = [a for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if isinstance(a, AppError)]
    assert len(done) == 1 and done[0]["replayed"] is False
    assert len(refused) == 5 and {r.code for r in refused} == {"accounts.person_left"}
    assert await CashRefund.all().count() == 1
    assert (await Wallet.get(person_id=person_id)).cash_balance == 0
    await assert_books_clean()


async def test_leaving_while_paying_pays_out_what_is_left_and_accounts_for_everything(
    client, canteen, runtime, requires_postgres
):
    terminals = [await make_terminal(runtime.cipher, f"T-{i:02d}") for i in range(6)]
    person_id = await cardholder("D0001", "AA000001", cash=10 * LUNCH_PRICE)
    calls = [leave(person_id, "leave-while-paying")]
    calls += [pay(client, t, f"TX-{i}", card_uid="AA000001") for i, t in enumerate(terminals)]
    answers = await outcomes(calls)
    assert isinstance(answers[0], dict), answers[0]
    paid = await CanteenPayment.filter(status=PaymentStatus.PAID).count()
    assert (await CashRefund.get()).amount_fen == (10 - paid) * LUNCH_PRICE
    assert (await Wallet.get(person_id=person_id)).cash_balance == 0
    await assert_books_clean()


async def test_a_card_issued_while_the_person_leaves_is_refused_or_cancelled(client, canteen, requires_postgres):
    person = await Person.get(employee_no="D0002")
    answers = await outcomes(
        [
            leaving.leave_person(CLI_ACTOR, Scope.EVERYTHING, person.id, "离职", {}, "leave-card-race", everything),
            *(wallets.issue_card(CLI_ACTOR, person.id, f"BB00000{i}", replace=True) for i in range(5)),
        ]
    )
    assert isinstance(answers[0], dict), answers[0]
    assert {a.code for a in answers[1:] if isinstance(a, AppError)} <= {"wallet.person_left"}
    assert not await Card.filter(person_id=person.id, state__in=[CardState.ACTIVE, CardState.LOST]).exists()
