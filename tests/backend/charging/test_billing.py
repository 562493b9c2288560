"""Bills: once per session whoever reports the stop how often; a wallet pays what its cash
covers and never goes below zero, the rest owed until paid back (and no new start meanwhile);
an official car's unit pays from its fleet cost and the car's fleet record shows it; a session
of nobody is billed for the record. A stop whose bill failed is billed by the job."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.charging.models import Bill, Incident, IncidentKind, PayerKind, Session, SessionState
from backend.charging.service import accounts, billing, reconcile, sessions
from backend.charging.service.sessions import TagVerdict
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.fleet.service import upkeep
from backend.notices.models import Notice
from backend.wallet.models import LedgerEntry
from backend.wallet.service import ledger, wallets
from tests.fixtures.shop import give_cash
from tests.helpers.charging_events import at, leave_cash, ref, sample, start, stop
from tests.helpers.money import assert_books_clean


async def _cash(person_id: int) -> int:
    return (await wallets.ensure_wallet(person_id)).cash_balance


async def _charged(world, runtime, id_tag: str, kwh: int, *, connector: int = 1) -> int:
    """A session of `kwh` in the 10:00-11:00 peak (150 fen/kWh with the service fee), stopped."""
    started = await start(world, runtime, id_tag, connector=connector, when=at(10))
    await stop(world, runtime, started.transaction_id, kwh * 1000, at(11))
    return started.transaction_id


async def test_a_wallet_session_is_paid_once_from_cash(charging_world, runtime, sent):
    tx = await _charged(charging_world, runtime, charging_world.card_uid, 10)
    bill = await Bill.get(session_id=tx)
    assert (bill.energy_wh, bill.energy_fen, bill.service_fen, bill.amount_fen) == (10_000, 1_100, 400, 1_500)
    assert (bill.paid_fen, bill.shortfall_fen, bill.bands) == (1_500, 0, {"peak": 10_000})
    assert await _cash(charging_world.cadre_id) == 20_000 - 1_500
    for _ in range(3):
        assert (await billing.bill(tx, at(12))).id == bill.id
    assert await LedgerEntry.filter(account=accounts.REVENUE).count() == 1
    assert await _cash(charging_world.cadre_id) == 18_500
    assert await Notice.filter(template="charging.session", subject_id=tx).count() == 1
    view = billing.bill_view(bill, await Session.get(id=tx))
    assert (view["kwh"], view["bands"][0]["label"], view["payer_label"]) == ("10.000", "峰", "个人一卡通")
    await assert_books_clean()


async def test_cash_short_of_the_bill_pays_what_it_can_and_owes_the_rest(charging_world, runtime, sent):
    await leave_cash(charging_world.cadre_id, 1_000)
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    assert started.verdict == TagVerdict.ACCEPTED
    await stop(charging_world, runtime, started.transaction_id, 10_000, at(11))
    bill = await Bill.get(session_id=started.transaction_id)
    assert (bill.amount_fen, bill.paid_fen, bill.shortfall_fen) == (1_500, 1_000, 500)
    assert await _cash(charging_world.cadre_id) == 0
    assert [i.detail for i in await Incident.filter(kind=IncidentKind.SHORTFALL)] == [
        {"amount_fen": 1_500, "shortfall_fen": 500}
    ]
    assert await billing.arrears_of(charging_world.cadre_id) == 500
    await give_cash(charging_world.cadre_id, 5_000)
    # owing, no new session even with cash
    assert await sessions.authorize(ref(charging_world.pile), charging_world.card_uid, at(12)) == TagVerdict.BLOCKED
    await assert_books_clean()


async def test_arrears_are_paid_back_from_cash_once(charging_world, runtime, sent):
    await leave_cash(charging_world.cadre_id, 0)
    first = await _charged(charging_world, runtime, charging_world.card_uid, 2)
    second = await _charged(charging_world, runtime, charging_world.fleet_card, 1)  # the unit's, owes nothing
    assert (await Bill.get(session_id=first)).transfer_id is None
    assert await billing.arrears_of(charging_world.cadre_id) == 300
    with pytest.raises(AppError) as refused:
        await billing.pay_arrears(charging_world.cadre_id, at(12))
    assert refused.value.code == "charging.balance_too_low"
    assert refused.value.message == "一卡通现金余额不足 3.00 元，请先充值"
    await give_cash(charging_world.cadre_id, 1_000)
    paid = await billing.pay_arrears(charging_world.cadre_id, at(12))
    assert paid["paid_fen"] == 300
    assert await _cash(charging_world.cadre_id) == 700
    bill = await Bill.get(session_id=first)
    assert (bill.shortfall_paid_at, bill.shortfall_transfer_id) == (at(12), paid["transfer_id"])
    assert (await Bill.get(session_id=second)).shortfall_fen == 0
    with pytest.raises(AppError) as again:
        await billing.pay_arrears(charging_world.cadre_id, at(13))
    assert again.value.code == "charging.arrears_none"
    assert await sessions.authorize(ref(charging_world.pile), charging_world.card_uid, at(13)) == TagVerdict.BLOCKED
    await give_cash(charging_world.cadre_id, 1_000)
    assert await sessions.authorize(ref(charging_world.pile), charging_world.card_uid, at(13)) == TagVerdict.ACCEPTED
    await assert_books_clean()


async def test_an_official_cars_session_is_billed_to_its_units_fleet_cost(charging_world, runtime, sent):
    tx = await _charged(charging_world, runtime, charging_world.fleet_card, 20)
    bill = await Bill.get(session_id=tx)
    assert (bill.amount_fen, bill.paid_fen, bill.shortfall_fen) == (3_000, 3_000, 0)
    assert await ledger.leg_amounts(None, [bill.transfer_id], accounts.REVENUE) == {bill.transfer_id: 3_000}
    fleet_legs = LedgerEntry.filter(account=accounts.fleet_cost(charging_world.unit_id))
    assert await fleet_legs.values_list("amount", flat=True) == [-3_000]
    records = await upkeep.upkeep_of(charging_world.vehicle.id)
    assert [(r["kind"], r["cost_fen"], r["provider_id"]) for r in records] == [("charging", 3_000, None)]
    assert "20.000 kWh" in records[0]["note"]
    await billing.bill(tx, at(12))
    assert len(await upkeep.upkeep_of(charging_world.vehicle.id)) == 1
    assert await _cash(charging_world.cadre_id) == 20_000
    await assert_books_clean()


async def test_a_session_of_nobody_is_billed_for_the_record_without_money(charging_world, runtime, sent):
    tx = await _charged(charging_world, runtime, "0BADCAFE", 4)
    session = await Session.get(id=tx)
    assert session.payer_kind == PayerKind.NOBODY
    bill = await Bill.get(session_id=tx)
    assert (bill.amount_fen, bill.paid_fen, bill.shortfall_fen, bill.transfer_id) == (600, 0, 0, None)
    assert [k.value for k in await Incident.filter(session_id=tx).order_by("id").values_list("kind", flat=True)] == [
        "unknown_tag",
        "session_without_payer",
    ]
    assert await LedgerEntry.all().filter(account__startswith="charging:").count() == 0
    await assert_books_clean()


async def test_a_session_without_energy_moves_no_money(charging_world, runtime, sent):
    tx = await _charged(charging_world, runtime, charging_world.card_uid, 0)
    bill = await Bill.get(session_id=tx)
    assert (bill.amount_fen, bill.paid_fen, bill.transfer_id) == (0, 0, None)
    await assert_books_clean()


async def test_an_active_session_is_not_billed(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid)
    with pytest.raises(AppError) as refused:
        await billing.bill(started.transaction_id, at(11))
    assert refused.value.code == "charging.session_still_active"


async def test_a_stop_whose_bill_failed_is_billed_by_the_job_and_flagged_until_then(
    charging_world, runtime, sent, monkeypatch
):
    started = await start(charging_world, runtime, charging_world.card_uid, when=now() - timedelta(hours=1))

    async def database_gone(session, at):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(billing, "bill_stopped_now", database_gone)
    stopped_at = now() - timedelta(minutes=10)
    await sessions.stop_transaction(
        runtime.redis, ref(charging_world.pile), started.transaction_id, 5_000, stopped_at, "Local", None, [], now()
    )
    monkeypatch.undo()
    assert (await Session.get(id=started.transaction_id)).state == SessionState.STOPPED
    assert not await Bill.exists()
    problems = await reconcile.check(None, now().date())
    assert problems == [f"充电记录 {started.transaction_id}：已结束超过 5 分钟仍未结算"]
    assert await billing.bill_stopped(now()) == 1
    assert await billing.bill_stopped(now()) == 0
    assert (await Bill.get(session_id=started.transaction_id)).energy_wh == 5_000
    await assert_books_clean()


async def test_reconcile_finds_a_bill_that_does_not_match_its_voucher(charging_world, runtime, sent):
    tx = await _charged(charging_world, runtime, charging_world.card_uid, 10)
    fleet = await _charged(charging_world, runtime, charging_world.fleet_card, 2, connector=2)
    await Bill.filter(session_id=tx).update(paid_fen=1_400)
    await Bill.filter(session_id=fleet).update(amount_fen=299)
    problems = await reconcile.check(None, now().date())
    assert any("充电收入账户余额" in p for p in problems)
    assert any(f"充电记录 {tx}：账单实收 1400 分与其凭证" in p for p in problems)
    assert any(f"charging:unit:{charging_world.unit_id}:fleet 余额 -300 分，应为 -299 分" in p for p in problems)


async def test_samples_above_the_stop_reading_do_not_enlarge_the_bill(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile, tx = ref(charging_world.pile), started.transaction_id
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 30), 9_000)], at(10, 30))
    await stop(charging_world, runtime, tx, 6_000, at(11))
    assert (await Bill.get(session_id=tx)).energy_wh == 6_000
