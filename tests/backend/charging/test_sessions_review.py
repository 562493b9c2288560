"""What the review found in sessions and tags: an unknown card issued later is the wallet's, an
unblocked unknown tag may charge; a token starts one session; a start with no tariff is kept;
an implausible stop reading is replaced; an offline start sent again gets the same answer."""

from __future__ import annotations

from datetime import timedelta

from backend.charging.models import Bill, Incident, IncidentKind, PayerKind, Session, Tag, TagKind, Tariff
from backend.charging.service import sessions, tariffs
from backend.charging.service.commands import Action
from backend.charging.service.sessions import TagVerdict
from backend.core.timeutil import now
from tests.helpers.charging_events import at, leave_cash, ref, sample, settled, start, stop

TOKEN = "MTOKEN0000000000001"


async def _kinds(session_id: int) -> list[str]:
    return [k.value for k in await Incident.filter(session_id=session_id).order_by("id").values_list("kind", flat=True)]


async def test_a_card_tapped_before_it_was_issued_is_its_wallets_once_issued(charging_world, runtime, sent):
    await Tag.create(id_tag=charging_world.card_uid, kind=TagKind.UNKNOWN, blocked=True, blocked_reason="未登记")
    assert await sessions.authorize(ref(charging_world.pile), charging_world.card_uid, at(9)) == TagVerdict.ACCEPTED
    started = await start(charging_world, runtime, charging_world.card_uid)
    session = await Session.get(id=started.transaction_id)
    assert (started.verdict, session.payer_kind) == (TagVerdict.ACCEPTED, PayerKind.WALLET)


async def test_an_unknown_tag_staff_unblocked_may_charge_for_nobody(charging_world, runtime, sent):
    await Tag.create(id_tag="DEADBEEF99", kind=TagKind.UNKNOWN, blocked=True, blocked_reason="未登记")
    assert await sessions.authorize(ref(charging_world.pile), "DEADBEEF99", at(9)) == TagVerdict.BLOCKED
    await Tag.filter(id_tag="DEADBEEF99").update(blocked=False)
    assert await sessions.authorize(ref(charging_world.pile), "DEADBEEF99", at(9)) == TagVerdict.ACCEPTED


async def test_a_token_starts_one_session_only(charging_world, runtime, sent):
    await Tag.create(
        id_tag=TOKEN, kind=TagKind.TOKEN, person_id=charging_world.cadre_id, expires_at=now() + timedelta(days=2)
    )
    first = await start(charging_world, runtime, TOKEN)
    assert first.verdict == TagVerdict.ACCEPTED
    assert await start(charging_world, runtime, TOKEN) == first  # sent again: the same answer
    await stop(charging_world, runtime, first.transaction_id, 1_000, at(10, 30))
    replay = await start(charging_world, runtime, TOKEN, connector=2, when=at(10, 40))
    assert replay.verdict == TagVerdict.EXPIRED


async def test_a_start_with_no_tariff_is_kept_and_billed_at_zero(charging_world, runtime, sent):
    await Tariff.all().delete()
    tariffs.forget()
    started = await start(charging_world, runtime, charging_world.fleet_card)
    session = await Session.get(id=started.transaction_id)
    assert session.tariff_id is None
    assert await _kinds(session.id) == ["no_tariff"]
    await sessions.meter_values(
        runtime.redis, ref(charging_world.pile), 1, session.id, [sample(at(10, 30), 2_000)], at(10, 30)
    )
    await stop(charging_world, runtime, session.id, 3_000, at(11))
    bill = await Bill.get(session_id=session.id)
    assert (bill.energy_wh, bill.amount_fen) == (3_000, 0)


async def test_an_implausible_stop_reading_is_replaced_by_the_last_good_sample(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.fleet_card, meter=1_000)
    tx = started.transaction_id
    await sessions.meter_values(runtime.redis, ref(charging_world.pile), 1, tx, [sample(at(10, 30), 3_000)], at(10, 30))
    # kWh sent as Wh × 1000: 7 kW for an hour cannot give 4,000 kWh
    await stop(charging_world, runtime, tx, 4_000_000, at(11))
    session = await Session.get(id=tx)
    assert session.meter_stop_wh == 3_000
    incident = await Incident.get(session_id=tx, kind=IncidentKind.METER_STOP_INVALID)
    assert incident.detail["reason"] == "implausible"
    assert (await Bill.get(session_id=tx)).energy_wh == 2_000


async def test_an_offline_start_sent_again_gets_its_first_answer(charging_world, runtime, sent):
    offline = await start(charging_world, runtime, charging_world.card_uid, when=at(6), received=at(9))
    assert offline.verdict == TagVerdict.ACCEPTED
    await leave_cash(charging_world.cadre_id, 0)  # the cash gone before the pile sends it again
    again = await start(charging_world, runtime, charging_world.card_uid, when=at(6), received=at(9, 5))
    assert again == offline
    await settled()


async def test_a_register_jump_does_not_trip_the_balance_stop(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    tx, pile = started.transaction_id, ref(charging_world.pile)
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 30), 3_000)], at(10, 30))
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 31), 4_000_000)], at(10, 31))
    await settled()
    session = await Session.get(id=tx)
    assert (session.meter_last_wh, session.stop_requested_at) == (3_000, None)
    assert sent.of(Action.REMOTE_STOP) == []
