"""Sessions from what piles report: a start sent again is the same session, an unknown tag is
kept and blocked, one active session per idTag, a start reported late is recorded, samples are
kept once and priced, a register going backwards and values after the stop are recorded, a stop
sent again changes nothing, an unknown stop or an unusable reading is recorded, not guessed."""

from __future__ import annotations

from datetime import timedelta

from backend.charging.config import ChargingSettings
from backend.charging.models import (
    Bill,
    Connector,
    Fault,
    Incident,
    IncidentKind,
    MeterValue,
    PayerKind,
    Pile,
    Session,
    SessionState,
    StartRequest,
    StartState,
    Tag,
    TagKind,
)
from backend.charging.service import billing, sessions
from backend.charging.service.commands import Action
from backend.charging.service.sessions import TagVerdict
from backend.core.timeutil import now
from tests.helpers.charging_events import at, leave_cash, ref, sample, settled, start


async def _kinds(session_id: int | None = None) -> list[str]:
    query = Incident.all() if session_id is None else Incident.filter(session_id=session_id)
    return [k.value for k in await query.order_by("id").values_list("kind", flat=True)]


async def test_a_card_on_the_roster_starts_a_session_paid_from_its_wallet(charging_world, runtime, sent):
    assert await sessions.authorize(ref(charging_world.pile), charging_world.card_uid, at(10)) == TagVerdict.ACCEPTED
    started = await start(charging_world, runtime, charging_world.card_uid, meter=1200)
    assert started.verdict == TagVerdict.ACCEPTED
    session = await Session.get(id=started.transaction_id)
    assert (session.payer_kind, session.person_id, session.state) == (
        PayerKind.WALLET,
        charging_world.cadre_id,
        SessionState.ACTIVE,
    )
    assert (session.meter_start_wh, session.meter_last_wh, session.tariff_id) == (1200, 1200, charging_world.tariff.id)
    await settled()
    assert sent.of(Action.SET_CHARGING_PROFILE) == [
        ("CP-1001", {"connector_id": 1, "transaction_id": session.id, "limit_w": 7000})
    ]


async def test_a_start_sent_again_is_the_same_session_with_the_same_answer(charging_world, runtime, sent):
    first = await start(charging_world, runtime, charging_world.card_uid, meter=500)
    again = await start(charging_world, runtime, charging_world.card_uid, meter=500, received=at(10, 5))
    assert again == first
    assert await Session.all().count() == 1
    assert await _kinds() == []  # the session itself is not a concurrent one


async def test_an_unknown_tag_starting_is_kept_blocked_and_recorded(charging_world, runtime, sent):
    assert await sessions.authorize(ref(charging_world.pile), "DEADBEEF99", at(9)) == TagVerdict.INVALID
    started = await start(charging_world, runtime, "DEADBEEF99")
    assert started.verdict == TagVerdict.INVALID
    session = await Session.get(id=started.transaction_id)
    assert session.payer_kind == PayerKind.NOBODY and session.person_id is None
    tag = await Tag.get(id_tag="DEADBEEF99")
    assert (tag.kind, tag.blocked) == (TagKind.UNKNOWN, True)
    assert await _kinds(session.id) == ["unknown_tag"]
    assert await sessions.authorize(ref(charging_world.pile), "DEADBEEF99", at(11)) == TagVerdict.BLOCKED
    # sent again: the same session and answer, nothing recorded twice
    assert await start(charging_world, runtime, "DEADBEEF99") == started
    assert await Tag.filter(id_tag="DEADBEEF99").count() == 1
    assert await _kinds() == ["unknown_tag"]


async def test_a_tag_already_charging_gets_concurrent_and_the_second_session_is_kept(charging_world, runtime, sent):
    first = await start(charging_world, runtime, charging_world.fleet_card)
    assert first.verdict == TagVerdict.ACCEPTED
    verdict = await sessions.authorize(ref(charging_world.pile), charging_world.fleet_card, at(10))
    assert verdict == TagVerdict.CONCURRENT
    second = await start(charging_world, runtime, charging_world.fleet_card, pile=charging_world.other_pile)
    assert second.verdict == TagVerdict.CONCURRENT
    kept = await Session.get(id=second.transaction_id)
    assert (kept.payer_kind, kept.unit_id, kept.state) == (PayerKind.FLEET, charging_world.unit_id, SessionState.ACTIVE)
    assert await _kinds(kept.id) == ["concurrent_tag"]
    assert await start(charging_world, runtime, charging_world.fleet_card, pile=charging_world.other_pile) == second


async def test_an_official_cars_fleet_card_is_billed_to_its_unit(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.fleet_card)
    session = await Session.get(id=started.transaction_id)
    assert (session.payer_kind, session.vehicle_id, session.unit_id) == (
        PayerKind.FLEET,
        charging_world.vehicle.id,
        charging_world.unit_id,
    )


async def test_a_wallet_short_of_the_minimum_is_blocked_but_an_offline_start_is_kept(charging_world, runtime, sent):
    await leave_cash(charging_world.cadre_id, 999)
    assert await sessions.authorize(ref(charging_world.pile), charging_world.card_uid, at(10)) == TagVerdict.BLOCKED
    online = await start(charging_world, runtime, charging_world.card_uid)
    assert online.verdict == TagVerdict.BLOCKED
    pile, stopped = ref(charging_world.pile), at(10, 1)
    await sessions.stop_transaction(
        runtime.redis, pile, online.transaction_id, 0, stopped, "DeAuthorized", None, [], stopped
    )
    # started three hours before the pile could tell: already happened, billed whatever the balance
    offline = await start(charging_world, runtime, charging_world.card_uid, connector=2, when=at(6), received=at(9))
    assert offline.verdict == TagVerdict.ACCEPTED
    assert await _kinds(offline.transaction_id) == ["offline_start"]


async def test_a_mini_program_token_starts_its_request(charging_world, runtime, sent):
    await Tag.create(
        id_tag="MTOKEN0000000000001",
        kind=TagKind.TOKEN,
        person_id=charging_world.cadre_id,
        expires_at=now() + timedelta(minutes=5),
    )
    request = await StartRequest.create(
        person_id=charging_world.cadre_id,
        client_ref="ref-00000001",
        pile=charging_world.pile,
        connector_id=1,
        id_tag="MTOKEN0000000000001",
        created_at=at(9, 59),
    )
    started = await start(charging_world, runtime, "MTOKEN0000000000001")
    assert started.verdict == TagVerdict.ACCEPTED
    request = await StartRequest.get(id=request.id)
    assert (request.state, request.session_id) == (StartState.STARTED, started.transaction_id)


async def test_an_expired_token_is_refused(charging_world, runtime, sent):
    await Tag.create(
        id_tag="MTOKEN0000000000002", kind=TagKind.TOKEN, person_id=charging_world.cadre_id, expires_at=at(9)
    )
    assert await sessions.authorize(ref(charging_world.pile), "MTOKEN0000000000002", at(10)) == TagVerdict.EXPIRED


async def test_samples_are_kept_once_and_give_the_running_cost(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile = ref(charging_world.pile)
    values = [sample(at(10, 30), 3_500), sample(at(11), 7_000)]
    await sessions.meter_values(runtime.redis, pile, 1, started.transaction_id, values, at(11))
    await sessions.meter_values(runtime.redis, pile, 1, started.transaction_id, values, at(11, 1))
    assert await MeterValue.filter(session_id=started.transaction_id).count() == 2
    session = await Session.get(id=started.transaction_id)
    # 7 kWh, all in the 10:00-11:00 peak: 7 × 110 + 7 × 40 service
    assert (session.meter_last_wh, session.running_fen) == (7_000, 1_050)


async def test_values_of_no_or_an_unknown_transaction_are_ignored(charging_world, runtime, sent):
    pile = ref(charging_world.pile)
    await sessions.meter_values(runtime.redis, pile, 1, None, [sample(at(10), 100)], at(10))
    await sessions.meter_values(runtime.redis, pile, 1, 424242, [sample(at(10), 100)], at(10))
    assert await MeterValue.all().count() == 0


async def test_a_register_going_backwards_is_recorded_and_not_billed(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile, tx = ref(charging_world.pile), started.transaction_id
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 30), 3_000)], at(10, 30))
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 40), 1_000)], at(10, 40))
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, 40), 1_000)], at(10, 41))  # sent again
    await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(11), 4_000)], at(11))
    assert await _kinds(tx) == ["meter_backwards"]
    session = await Session.get(id=tx)
    assert (session.meter_last_wh, session.running_fen) == (4_000, 600)


async def test_the_live_cost_is_the_final_bill(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(7, 13))
    pile, tx = ref(charging_world.pile), started.transaction_id
    for minutes in range(17, 300, 17):
        moment = at(7, 13) + timedelta(minutes=minutes)
        await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(moment, minutes * 61)], moment)
    live = await Session.get(id=tx)
    last = await MeterValue.filter(session_id=tx).order_by("-at").first()
    await sessions.stop_transaction(runtime.redis, pile, tx, last.energy_wh, last.at, "Local", None, [], last.at)
    bill = await Bill.get(session_id=tx)
    assert bill.amount_fen == live.running_fen > 0
    assert set(bill.bands) == {"valley", "peak", "flat"}


async def test_a_stop_sent_again_changes_nothing(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile, tx = ref(charging_world.pile), started.transaction_id
    first = await sessions.stop_transaction(
        runtime.redis, pile, tx, 5_000, at(11), "Local", charging_world.card_uid, [], at(11)
    )
    bill = await Bill.get(session_id=tx)
    again = await sessions.stop_transaction(
        runtime.redis, pile, tx, 9_000, at(12), "Remote", charging_world.card_uid, [], at(12)
    )
    assert first == again == TagVerdict.ACCEPTED
    session = await Session.get(id=tx)
    assert (session.meter_stop_wh, session.stopped_at, session.stop_reason) == (5_000, at(11), "Local")
    assert [b.id for b in await Bill.all()] == [bill.id]


async def test_a_stop_of_an_unknown_transaction_or_minus_one_is_recorded(charging_world, runtime, sent):
    pile = ref(charging_world.pile)
    assert await sessions.stop_transaction(runtime.redis, pile, -1, 100, at(11), "Local", "X", [], at(11)) is None
    assert await sessions.stop_transaction(runtime.redis, pile, 99999, 100, at(11), "Local", None, [], at(11)) is None
    incidents = await Incident.filter(kind=IncidentKind.UNKNOWN_TRANSACTION).order_by("id")
    assert [i.detail["transaction_id"] for i in incidents] == [-1, 99999]
    assert await Bill.all().count() == 0


async def test_a_stop_of_another_piles_transaction_is_unknown_here(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid)
    other = ref(charging_world.other_pile)
    assert (
        await sessions.stop_transaction(
            runtime.redis, other, started.transaction_id, 100, at(11), "Local", None, [], at(11)
        )
        is None
    )
    assert (await Session.get(id=started.transaction_id)).state == SessionState.ACTIVE


async def test_an_unusable_stop_reading_is_replaced_by_the_last_good_sample(charging_world, runtime, sent):
    pile = ref(charging_world.pile)
    for connector, reading in ((1, -1), (2, 400)):
        started = await start(charging_world, runtime, charging_world.fleet_card, connector=connector, meter=1_000)
        tx = started.transaction_id
        await sessions.meter_values(runtime.redis, pile, connector, tx, [sample(at(10, 30), 2_500)], at(10, 30))
        # the stop's own transaction data is kept too
        stop_data = [sample(at(10, 45), 3_000), sample(at(10, 50), 2_000)]
        await sessions.stop_transaction(runtime.redis, pile, tx, reading, at(11), "PowerLoss", None, stop_data, at(11))
        session = await Session.get(id=tx)
        assert session.meter_stop_wh == 3_000
        assert await _kinds(tx) == ["meter_stop_invalid"]
        assert (await Bill.get(session_id=tx)).energy_wh == 2_000


async def test_values_after_the_stop_are_kept_recorded_once_and_never_rebilled(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=at(10))
    pile, tx = ref(charging_world.pile), started.transaction_id
    await sessions.stop_transaction(runtime.redis, pile, tx, 2_000, at(10, 30), "Local", None, [], at(10, 30))
    billed = await Bill.get(session_id=tx)
    for minute in (20, 40):
        await sessions.meter_values(runtime.redis, pile, 1, tx, [sample(at(10, minute), 5_000)], at(10, 50))
    assert await MeterValue.filter(session_id=tx).count() == 2
    assert await _kinds(tx) == ["late_meter_values"]
    assert await billing.bill(tx, at(11)) == billed
    again = await Bill.get(session_id=tx)
    assert (again.amount_fen, again.paid_fen, again.energy_wh) == (billed.amount_fen, billed.paid_fen, 2_000)


async def test_an_error_opens_a_fault_until_no_error_closes_it(charging_world, runtime, sent):
    pile = ref(charging_world.pile)
    await sessions.status(runtime.redis, pile, 1, "Faulted", "GroundFailure", "漏电", "E12", at(10))
    await sessions.status(runtime.redis, pile, 1, "Faulted", "GroundFailure", "漏电", "E12", at(10, 1))
    fault = await Fault.get(pile_id=pile.id, connector_id=1)
    assert (fault.error_code, fault.cleared_at) == ("GroundFailure", None)
    await sessions.status(runtime.redis, pile, 1, "Available", "NoError", "", "", at(10, 30))
    assert (await Fault.get(id=fault.id)).cleared_at == at(10, 30)
    connector = await Connector.get(pile_id=pile.id, connector_id=1)
    assert (connector.status.value, connector.error_code) == ("Available", "NoError")
    # a queued status older than the one held changes nothing
    await sessions.status(runtime.redis, pile, 1, "Charging", "NoError", "", "", at(10, 5))
    assert (await Connector.get(id=connector.id)).status.value == "Available"


async def test_boot_records_the_pile_and_answers_the_heartbeat_interval(charging_world, runtime):
    pile = ref(charging_world.pile)
    interval = await sessions.boot(pile, sessions.BootInfo("Star", "AC7", "SN1", "1.2.3"), at(9))
    assert interval == 60
    stored = await Pile.get(id=pile.id)
    assert (stored.vendor, stored.firmware, stored.booted_at, stored.last_seen_at) == ("Star", "1.2.3", at(9), at(9))
    await sessions.seen(pile.id, at(9, 0, 5))
    assert (await Pile.get(id=pile.id)).last_seen_at == at(9)  # within 10 s: not written again
    await sessions.seen(pile.id, at(9, 0, 30))
    assert (await Pile.get(id=pile.id)).last_seen_at == at(9, 0, 30)
    assert await sessions.data_transfer(pile, "com.vendor", "x", "{}", at(9)) == "UnknownVendorId"


async def test_the_minimum_balance_and_the_heartbeat_come_from_the_settings(charging_world, runtime, sent):
    strict = ChargingSettings(min_balance_fen=20_001, heartbeat_seconds=3600)
    pile = ref(charging_world.pile)
    assert await sessions.authorize(pile, charging_world.card_uid, at(10), settings=strict) == TagVerdict.BLOCKED
    assert await sessions.authorize(pile, charging_world.card_uid, at(10)) == TagVerdict.ACCEPTED
    assert await sessions.boot(pile, sessions.BootInfo("", "", "", ""), at(9), settings=strict) == 3600
    # reported 90 minutes late: within two hourly heartbeats, not an offline start
    card = charging_world.fleet_card
    late = await start(charging_world, runtime, card, when=at(8), received=at(9, 30), settings=strict)
    assert await _kinds(late.transaction_id) == []
