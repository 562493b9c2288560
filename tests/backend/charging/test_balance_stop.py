"""A wallet session is stopped remotely when its running cost comes within the margin of the
cash: asked once (one command, one incident, one notice) however many samples follow, and the
bill never takes the wallet below zero."""

from __future__ import annotations

from datetime import timedelta

from backend.charging.models import Bill, Incident, IncidentKind, Session
from backend.charging.service import notices, sessions
from backend.charging.service.commands import Action
from backend.notices.models import Notice
from backend.wallet.service import wallets
from tests.helpers.charging_events import at, leave_cash, ref, sample, settled, start, stop
from tests.helpers.money import assert_books_clean


async def test_the_pile_is_asked_once_to_stop_when_the_cash_runs_low(charging_world, runtime, sent):
    await leave_cash(charging_world.cadre_id, 1_500)  # 10 kWh at peak; margin 200 fen
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile, tx = ref(charging_world.pile), started.transaction_id
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 20), 8_000)], at(10, 20))
    await settled()
    assert sent.of(Action.REMOTE_STOP) == []  # 1,200 + 200 < 1,500
    assert (await Session.get(id=tx)).stop_requested_at is None
    for minute in (25, 30, 35):
        moment = at(10, minute)
        await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(moment, 8_000 + 400 * minute)], moment)
    await settled()
    assert sent.of(Action.REMOTE_STOP) == [("CP-1001", {"transaction_id": tx})]
    session = await Session.get(id=tx)
    assert session.stop_requested_at == at(10, 25)
    assert await Incident.filter(kind=IncidentKind.BALANCE_STOP).count() == 1
    message = await notices.render_session(tx)
    assert (message.data["phrase3"], message.data["thing6"]) == ("余额不足", "一卡通余额将尽，已停止充电")
    # the pile obeys late, having drawn more than the cash: the wallet stops at zero
    await stop(charging_world, runtime, tx, 22_000, at(10, 40))
    bill = await Bill.get(session_id=tx)
    assert (bill.amount_fen, bill.paid_fen, bill.shortfall_fen) == (3_300, 1_500, 1_800)
    assert (await wallets.ensure_wallet(charging_world.cadre_id)).cash_balance == 0
    assert await Notice.filter(subject_id=tx).count() == 2
    ended = await notices.render_session(tx)
    assert (ended.data["phrase3"], ended.data["amount4"]) == ("充电结束", "33.00元")
    assert ended.data["thing6"] == "22.00 度，欠费 18.00 元"
    await assert_books_clean()


async def test_an_official_car_is_never_stopped_for_balance(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.fleet_card, when=at(10))
    moment = at(10) + timedelta(hours=1)
    await sessions.meter_values(
        runtime.redis, ref(charging_world.pile), 1, started.transaction_id, [sample(moment, 500_000)], moment
    )
    await settled()
    assert sent.of(Action.REMOTE_STOP) == []
