"""Charging under real concurrency on PostgreSQL: twenty copies of one StopTransaction at once
bill the session once; twenty starts of one idTag at once on different connectors leave one
session that is not a concurrent one; samples racing while the cash runs out ask the pile to
stop once, and the wallet never goes below zero; a card and nine tokens of one wallet starting at
once leave one accepted; one unknown tag starting on two piles keeps
both sessions; arrears paid ten times at once are paid once. The books are clean after each."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from backend.charging.models import Bill, Incident, IncidentKind, Pile, Session, SessionState, Tag, TagKind
from backend.charging.service import billing, passwords, sessions
from backend.charging.service.commands import Action
from backend.charging.service.sessions import TagVerdict
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.wallet.models import LedgerEntry
from backend.wallet.service import wallets
from tests.fixtures.shop import give_cash
from tests.helpers.charging_events import at, leave_cash, ref, sample, settled, start
from tests.helpers.money import assert_books_clean


async def test_twenty_copies_of_a_stop_at_once_bill_the_session_once(charging_world, runtime, sent, requires_postgres):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile, tx = ref(charging_world.pile), started.transaction_id
    answers = await asyncio.gather(
        *(
            sessions.stop_transaction(
                runtime.redis, pile, tx, 10_000, at(11), "Local", charging_world.card_uid, [], at(11, 0, i)
            )
            for i in range(20)
        )
    )
    assert set(answers) == {TagVerdict.ACCEPTED}
    assert await Bill.filter(session_id=tx).count() == 1
    assert await LedgerEntry.filter(account="charging:revenue").values_list("amount", flat=True) == [1_500]
    assert (await wallets.ensure_wallet(charging_world.cadre_id)).cash_balance == 20_000 - 1_500
    await settled()
    await assert_books_clean()


async def test_twenty_starts_of_one_tag_at_once_leave_one_session_that_is_not_concurrent(
    charging_world, runtime, sent, requires_postgres
):
    piles = [
        await Pile.create(
            site=charging_world.site, box_id=f"CP-2{i:03d}", name=f"{i} 号", password_hash=passwords.digest("x")
        )
        for i in range(18)
    ]
    targets = [(charging_world.pile, 1), (charging_world.pile, 2)] + [(p, 1) for p in piles]
    started = await asyncio.gather(
        *(
            sessions.start_transaction(runtime.redis, ref(pile), connector, charging_world.card_uid, 0, at(10), at(10))
            for pile, connector in targets
        )
    )
    verdicts = [s.verdict for s in started]
    assert verdicts.count(TagVerdict.ACCEPTED) == 1
    assert verdicts.count(TagVerdict.CONCURRENT) == 19
    assert await Session.filter(state=SessionState.ACTIVE).count() == 20
    concurrent = set(await Incident.filter(kind=IncidentKind.CONCURRENT_TAG).values_list("session_id", flat=True))
    first = next(s.transaction_id for s in started if s.verdict == TagVerdict.ACCEPTED)
    assert len(concurrent) == 19 and first not in concurrent
    await settled()


async def test_samples_racing_as_the_cash_runs_out_stop_the_pile_once(charging_world, runtime, sent, requires_postgres):
    await leave_cash(charging_world.cadre_id, 1_500)
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile, tx = ref(charging_world.pile), started.transaction_id
    await asyncio.gather(
        *(
            sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 1 + i), 9_000 + 100 * i)], at(10, 1 + i))
            for i in range(20)
        )
    )
    await settled()
    assert sent.of(Action.REMOTE_STOP) == [("CP-1001", {"transaction_id": tx})]
    assert await Incident.filter(kind=IncidentKind.BALANCE_STOP).count() == 1
    await asyncio.gather(
        *(
            sessions.stop_transaction(runtime.redis, pile, tx, 12_000, at(10, 30), "Remote", None, [], at(10, 30))
            for _ in range(5)
        )
    )
    bill = await Bill.get(session_id=tx)
    assert (bill.amount_fen, bill.paid_fen, bill.shortfall_fen) == (1_800, 1_500, 300)
    assert (await wallets.ensure_wallet(charging_world.cadre_id)).cash_balance == 0
    await settled()
    await assert_books_clean()


async def test_one_unknown_tag_starting_on_two_piles_at_once_keeps_both_sessions(
    charging_world, runtime, sent, requires_postgres
):
    started = await asyncio.gather(
        *(
            sessions.start_transaction(runtime.redis, ref(pile), 1, "FEEDF00D", 0, at(10), at(10))
            for pile in (charging_world.pile, charging_world.other_pile)
        )
    )
    assert sorted(s.verdict for s in started) == sorted([TagVerdict.INVALID, TagVerdict.CONCURRENT])
    assert await Session.filter(id_tag="FEEDF00D").count() == 2
    kinds = await Incident.all().order_by("id").values_list("kind", flat=True)
    assert sorted(k.value for k in kinds) == ["concurrent_tag", "unknown_tag"]
    await settled()


async def test_arrears_paid_ten_times_at_once_are_paid_once(charging_world, runtime, sent, requires_postgres):
    await leave_cash(charging_world.cadre_id, 0)
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    await sessions.stop_transaction(
        runtime.redis, ref(charging_world.pile), started.transaction_id, 2_000, at(11), "Local", None, [], at(11)
    )
    await give_cash(charging_world.cadre_id, 1_000)

    async def pay() -> str:
        try:
            return str((await billing.pay_arrears(charging_world.cadre_id, at(12)))["paid_fen"])
        except AppError as refused:
            return refused.code

    outcomes = await asyncio.gather(*(pay() for _ in range(10)))
    assert sorted(outcomes) == ["300", *["charging.arrears_none"] * 9]
    assert (await wallets.ensure_wallet(charging_world.cadre_id)).cash_balance == 700
    await settled()
    await assert_books_clean()


async def test_a_card_and_a_token_of_one_wallet_starting_at_once_leave_one_accepted(
    charging_world, runtime, sent, requires_postgres
):
    tokens = [f"MTOKEN{i:013d}" for i in range(9)]
    for token in tokens:
        await Tag.create(
            id_tag=token, kind=TagKind.TOKEN, person_id=charging_world.cadre_id, expires_at=now() + timedelta(days=2)
        )
    piles = [
        await Pile.create(
            site=charging_world.site, box_id=f"CP-3{i:03d}", name=f"{i} 号", password_hash=passwords.digest("x")
        )
        for i in range(10)
    ]
    id_tags = [charging_world.card_uid, *tokens]
    started = await asyncio.gather(
        *(
            sessions.start_transaction(runtime.redis, ref(pile), 1, id_tag, 0, at(10), at(10))
            for pile, id_tag in zip(piles, id_tags, strict=True)
        )
    )
    verdicts = [s.verdict for s in started]
    assert verdicts.count(TagVerdict.ACCEPTED) == 1
    assert verdicts.count(TagVerdict.CONCURRENT) == 9
    await settled()
