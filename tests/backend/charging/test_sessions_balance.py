"""The balance stop holds whatever befalls it: a stop the pile did not accept (offline, timed
out, refused) or never sent (the worker died) is asked again on a later sample; and one wallet
pays for one session at a time, its sessions' running costs counted together."""

from __future__ import annotations

from datetime import timedelta

from backend.charging.models import CommandState, Incident, IncidentKind, PayerKind, Session, Tag, TagKind
from backend.charging.service import sessions
from backend.charging.service.commands import Action
from backend.charging.service.sessions import TagVerdict
from backend.core.timeutil import now
from tests.helpers.charging_events import at, leave_cash, ref, sample, settled, start

TOKEN = "MTOKEN0000000000001"


async def _token(world) -> str:
    await Tag.create(id_tag=TOKEN, kind=TagKind.TOKEN, person_id=world.cadre_id, expires_at=now() + timedelta(days=2))
    return TOKEN


async def _low_sample(world, runtime, tx: int, minute: int, wh: int) -> None:
    moment = at(10, minute)
    await sessions.meter_values(runtime.redis, ref(world.pile), 1, tx, [sample(moment, wh)], moment)
    await settled()


async def test_a_stop_the_pile_did_not_accept_is_asked_again_on_the_next_sample(charging_world, runtime, sent):
    await leave_cash(charging_world.cadre_id, 1_500)
    tx = (await start(charging_world, runtime, charging_world.card_uid, when=at(10))).transaction_id
    sent.state = CommandState.TIMED_OUT
    await _low_sample(charging_world, runtime, tx, 25, 18_000)
    assert len(sent.of(Action.REMOTE_STOP)) == 1
    assert (await Session.get(id=tx)).stop_requested_at is None  # withdrawn: nobody stops it
    sent.state = CommandState.ACCEPTED
    await _low_sample(charging_world, runtime, tx, 26, 18_100)
    await _low_sample(charging_world, runtime, tx, 40, 18_200)
    # asked again once, accepted: not asked a third time
    assert len(sent.of(Action.REMOTE_STOP)) == 2
    assert (await Session.get(id=tx)).stop_requested_at == at(10, 26)
    assert await Incident.filter(kind=IncidentKind.BALANCE_STOP).count() == 1


async def test_a_stop_whose_worker_died_is_asked_again_after_two_time_outs(charging_world, runtime, sent):
    await leave_cash(charging_world.cadre_id, 1_500)
    tx = (await start(charging_world, runtime, charging_world.card_uid, when=at(10))).transaction_id
    # the flag is set, but the task that was to send the stop died with its worker
    await Session.filter(id=tx).update(stop_requested_at=at(10, 24))
    await _low_sample(charging_world, runtime, tx, 24, 18_000)
    assert sent.of(Action.REMOTE_STOP) == []  # still within the time it may take
    await _low_sample(charging_world, runtime, tx, 25, 18_100)
    assert sent.of(Action.REMOTE_STOP) == [("CP-1001", {"transaction_id": tx})]
    assert (await Session.get(id=tx)).stop_requested_at == at(10, 25)


async def test_one_wallet_pays_for_one_session_at_a_time(charging_world, runtime, sent):
    card = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    assert card.verdict == TagVerdict.ACCEPTED
    token = await _token(charging_world)
    assert await sessions.authorize(ref(charging_world.other_pile), token, at(10, 5)) == TagVerdict.CONCURRENT
    second = await start(charging_world, runtime, token, pile=charging_world.other_pile, when=at(10, 5))
    assert second.verdict == TagVerdict.CONCURRENT
    session = await Session.get(id=second.transaction_id)  # kept, with its payer
    assert (session.payer_kind, session.person_id) == (PayerKind.WALLET, charging_world.cadre_id)
    assert await Incident.filter(session_id=session.id, kind=IncidentKind.CONCURRENT_TAG).exists()


async def test_the_sessions_of_one_wallet_are_stopped_on_their_costs_together(charging_world, runtime, sent):
    await leave_cash(charging_world.cadre_id, 2_000)
    card = (await start(charging_world, runtime, charging_world.card_uid, when=at(10))).transaction_id
    token = await _token(charging_world)
    other = ref(charging_world.other_pile)
    second = (await start(charging_world, runtime, token, pile=charging_world.other_pile, when=at(10))).transaction_id
    # 6 kWh at peak on each (900 fen each): alone each is far from the cash, together within the margin
    await sessions.meter_values(runtime.redis, other, 1, second, [sample(at(10, 20), 6_000)], at(10, 20))
    await _low_sample(charging_world, runtime, card, 20, 6_000)
    stopped = sorted(payload["transaction_id"] for _, payload in sent.of(Action.REMOTE_STOP))
    assert stopped == sorted([card, second])
