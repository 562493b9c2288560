"""Charging from the mini-program, below the HTTP layer: a start checks the payer, the pile and
the connector, makes a one-off token and asks the pile once per client_ref; the pile's refusal,
silence or absence each end clearly; unused starts expire with their tokens; the live view prices
the samples exactly as the bill will; stop, history, receipts and piles near me. The pile is a
recorder standing in for commands.send."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from taskiq.schedule_sources import LabelScheduleSource

from backend.accounts.models import Person
from backend.charging.models import (
    Bill,
    CommandState,
    Connector,
    ConnectorStatus,
    MeterValue,
    PayerKind,
    Pile,
    Session,
    SessionState,
    Site,
    StartRequest,
    StartState,
    Tag,
    TagKind,
)
from backend.charging.service import billing, commands, starts, tariffs
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.jobs import broker
from backend.core.timeutil import now
from backend.fleet.models import Driver, LicenceClass, Trip, TripState, Vehicle, VehicleType
from backend.fleet.service import records
from backend.wallet.service import wallets
from tests.fixtures.fleet import make_request, make_trip
from tests.fixtures.shop import give_cash


@dataclass
class FakePile:
    """commands.send as a pile that answers every command the same way."""

    state: CommandState = CommandState.ACCEPTED
    data: dict = field(default_factory=dict)
    calls: list[tuple] = field(default_factory=list)

    async def __call__(self, redis, box_id, action, payload, **who):
        self.calls.append((box_id, action, payload, who))
        return commands.Answer(self.state, self.data)


@pytest.fixture
def pile_answers(monkeypatch) -> FakePile:
    fake = FakePile()
    monkeypatch.setattr(commands, "send", fake)
    return fake


async def _online(pile: Pile, *statuses: ConnectorStatus) -> None:
    await Pile.filter(id=pile.id).update(last_seen_at=now())
    for number, status in enumerate(statuses or (ConnectorStatus.AVAILABLE,) * pile.connectors, start=1):
        await Connector.create(pile_id=pile.id, connector_id=number, status=status, status_at=now())


async def _code(awaitable) -> str:
    with pytest.raises(AppError) as raised:
        await awaitable
    return raised.value.code


async def _session(world, *, person_id=None, connector_id=1, started=None, state=SessionState.ACTIVE, **more):
    started = started or now() - timedelta(minutes=30)
    return await Session.create(
        pile_id=world.pile.id,
        connector_id=connector_id,
        id_tag=more.pop("id_tag", world.card_uid),
        payer_kind=more.pop("payer_kind", PayerKind.WALLET),
        person_id=world.cadre_id if person_id is None else person_id,
        tariff_id=world.tariff.id,
        state=state,
        meter_start_wh=1000,
        meter_last_wh=more.pop("meter_last_wh", 1000),
        started_at=started,
        received_at=started,
        **more,
    )


# ---- starting ----------------------------------------------------------------------------------


async def test_a_start_asks_the_pile_to_start_the_scanned_connector_with_a_fresh_token(charging_world, pile_answers):
    w, at = charging_world, now()
    await _online(w.pile)

    started = await starts.start(None, w.cadre_id, "CP-1001", 2, "ref-00000001", None, at)

    [(box_id, action, payload, who)] = pile_answers.calls
    token = payload["id_tag"]
    assert (box_id, action, payload, who) == (
        "CP-1001",
        commands.Action.REMOTE_START,
        {"connector_id": 2, "id_tag": token},
        {"person_id": w.cadre_id, "timeout": 10},
    )
    assert token.startswith("M") and len(token) == 20
    tag = await Tag.get(id_tag=token)
    assert (tag.kind, tag.person_id, tag.vehicle_id, tag.blocked) == (TagKind.TOKEN, w.cadre_id, None, False)
    assert tag.expires_at == at + timedelta(minutes=5)
    assert {k: started[k] for k in ("box_id", "connector_id", "state", "session_id", "plate")} == {
        "box_id": "CP-1001",
        "connector_id": 2,
        "state": "sent",
        "session_id": None,
        "plate": None,
    }
    assert started["state_label"] == "等待桩响应"


async def test_the_same_client_ref_answers_the_same_start_and_asks_the_pile_once(charging_world, pile_answers):
    w, at = charging_world, now()
    await _online(w.pile)
    first = await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, at)

    again = await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, at + timedelta(seconds=3))

    assert again == first and len(pile_answers.calls) == 1
    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 2, "ref-00000001", None, at)) == (
        "charging.client_ref_reused"
    )
    assert await _code(starts.start(None, w.cadre_id, "CP-1002", 1, "ref-00000001", None, at)) == (
        "charging.client_ref_reused"
    )
    assert await StartRequest.all().count() == 1


async def test_a_start_the_pile_refuses_is_rejected_and_its_token_can_start_nothing(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    pile_answers.state, pile_answers.data = CommandState.REJECTED, {"status": "Rejected"}

    with pytest.raises(AppError) as raised:
        await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())

    assert raised.value.code == "charging.command_rejected" and "Rejected" in raised.value.message
    request = await StartRequest.get()
    tag = await Tag.get(id_tag=request.id_tag)
    assert request.state == StartState.REJECTED and tag.blocked
    # Asked again, the request answers as it ended; a new press (a new ref) may start again.
    assert (await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now()))["state"] == "rejected"
    pile_answers.state = CommandState.ACCEPTED
    assert (await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000002", None, now()))["state"] == "sent"


async def test_a_start_the_pile_cannot_parse_is_refused_with_its_error(charging_world, pile_answers):
    await _online(charging_world.pile)
    pile_answers.state, pile_answers.data = CommandState.FAILED, {"error": "NotSupported"}

    with pytest.raises(AppError) as raised:
        await starts.start(None, charging_world.cadre_id, "CP-1001", 1, "ref-00000001", None, now())

    assert raised.value.code == "charging.command_rejected" and "NotSupported" in raised.value.message
    assert (await StartRequest.get()).state == StartState.REJECTED


async def test_a_silent_pile_times_out_and_the_request_waits_for_the_pile(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    pile_answers.state = CommandState.TIMED_OUT

    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())) == (
        "charging.command_timeout"
    )

    request = await StartRequest.get()
    assert request.state == StartState.SENT and not (await Tag.get(id_tag=request.id_tag)).blocked
    assert (await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now()))["id"] == request.id


async def test_a_pile_not_heard_from_for_two_heartbeats_is_offline_and_nothing_is_made(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    await Pile.filter(id=w.pile.id).update(last_seen_at=now() - timedelta(seconds=121))

    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())) == (
        "charging.pile_offline"
    )
    assert (
        pile_answers.calls == []
        and await StartRequest.all().count() == 0
        and await Tag.filter(kind=TagKind.TOKEN).count() == 0
    )


async def test_a_pile_whose_link_is_gone_when_asked_ends_the_request(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    pile_answers.state = CommandState.OFFLINE

    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())) == (
        "charging.pile_offline"
    )
    assert (await StartRequest.get()).state == StartState.REJECTED


@pytest.mark.parametrize(
    ("box_id", "connector_id", "ref", "code"),
    [
        ("CP-9999", 1, "ref-00000001", "charging.pile_not_found"),
        ("CP-1001", 3, "ref-00000001", "charging.connector_invalid"),
        ("CP-1001", 1, "short", "charging.client_ref_invalid"),
        ("CP-1001", 1, "ref with spaces", "charging.client_ref_invalid"),
    ],
)
async def test_a_start_with_a_wrong_pile_connector_or_ref_is_refused(
    charging_world, pile_answers, box_id, connector_id, ref, code
):
    await _online(charging_world.pile)
    assert await _code(starts.start(None, charging_world.cadre_id, box_id, connector_id, ref, None, now())) == code
    assert pile_answers.calls == []


async def test_an_inactive_pile_and_a_missing_tariff_refuse_a_start(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    await w.tariff.delete()
    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())) == (
        "charging.no_tariff"
    )
    await Pile.filter(id=w.pile.id).update(is_active=False)
    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000002", None, now())) == (
        "charging.pile_not_found"
    )


@pytest.mark.parametrize("status", [ConnectorStatus.CHARGING, ConnectorStatus.FAULTED, ConnectorStatus.RESERVED])
async def test_a_connector_in_use_or_faulted_is_busy(charging_world, pile_answers, status):
    await _online(charging_world.pile, status, ConnectorStatus.AVAILABLE)
    assert await _code(starts.start(None, charging_world.cadre_id, "CP-1001", 1, "ref-00000001", None, now())) == (
        "charging.pile_busy"
    )


async def test_a_connector_someone_else_is_starting_is_busy(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    other = await Person.get(employee_no="D0002")
    await wallets.ensure_wallet(other.id)
    await give_cash(other.id, 5000)
    await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())

    assert await _code(starts.start(None, other.id, "CP-1001", 1, "ref-00000002", None, now())) == "charging.pile_busy"
    assert (await starts.start(None, other.id, "CP-1001", 2, "ref-00000003", None, now()))["state"] == "sent"


async def test_one_cadre_charges_once_at_a_time(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    await _online(w.other_pile)
    await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())
    assert await _code(starts.start(None, w.cadre_id, "CP-1002", 1, "ref-00000002", None, now())) == (
        "charging.already_charging"
    )
    await StartRequest.all().update(state=StartState.EXPIRED)
    await _session(w, connector_id=2)  # tapped the one-card on the other connector meanwhile
    assert await _code(starts.start(None, w.cadre_id, "CP-1002", 1, "ref-00000003", None, now())) == (
        "charging.already_charging"
    )


async def test_a_wallet_below_the_minimum_or_with_arrears_cannot_start(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    wallet = await wallets.ensure_wallet(w.cadre_id)
    stopped = await _session(w, state=SessionState.STOPPED, stopped_at=now() - timedelta(minutes=1))
    await Bill.create(
        session=stopped,
        energy_wh=10000,
        bands={"flat": 10000},
        energy_fen=700,
        service_fen=400,
        amount_fen=1100,
        paid_fen=600,
        shortfall_fen=500,
        billed_at=now(),
    )
    with pytest.raises(AppError) as raised:
        await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now())
    assert raised.value.code == "charging.arrears_unpaid" and "5.00 元" in raised.value.message

    await Bill.filter(session_id=stopped.id).update(shortfall_paid_at=now())
    await type(wallet).filter(id=wallet.id).update(cash_balance=999)
    with pytest.raises(AppError) as raised:
        await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000002", None, now())
    assert raised.value.code == "charging.balance_too_low" and "10.00 元" in raised.value.message
    assert pile_answers.calls == []


async def test_an_official_car_is_started_by_an_active_driver_for_a_chargeable_car(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", "浙AD12345", now())) == (
        "charging.not_a_driver"
    )
    await records.create_driver(CLI_ACTOR, "D0001", LicenceClass.C1, date.today() + timedelta(days=365))
    petrol = await Vehicle.create(plate="浙A00001", vehicle_type=VehicleType.SEDAN, seats=5, home_unit_id=w.unit_id)
    pool = await Vehicle.create(plate="浙AD00002", vehicle_type=VehicleType.SEDAN, seats=5, new_energy=True)
    for plate in (petrol.plate, pool.plate):  # a pool car has no unit's fleet cost to bill
        assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000002", plate, now())) == (
            "charging.vehicle_not_chargeable"
        )

    # An active driver and a chargeable car, but no trip of theirs on it: the car's unit would pay
    # for whatever the driver plugged in.
    assert await _code(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000004", "浙AD12345", now())) == (
        "charging.vehicle_not_drivable"
    )
    assert not pile_answers.calls
    await _trip(w, w.vehicle, TripState.STARTED, now() - timedelta(hours=1))

    started = await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000003", " 浙AD12345 ", now())

    assert started["plate"] == "浙AD12345"
    tag = await Tag.get(id_tag=pile_answers.calls[-1][2]["id_tag"])
    assert (tag.person_id, tag.vehicle_id) == (w.cadre_id, w.vehicle.id)


async def _trip(w, vehicle: Vehicle, state: TripState, starts_at: datetime, hours: float = 2, person_id=None):
    """A trip of the driver `person_id` (the world's cadre) on `vehicle`, dispatched with a
    15-minute buffer."""
    driver = await Driver.get(person_id=person_id or w.cadre_id)
    request = await make_request(SimpleNamespace(requester_id=w.cadre_id, unit_id=w.unit_id), starts_at, hours)
    return await make_trip(request, vehicle, driver, state=state)


async def test_a_car_is_drivable_by_its_driver_on_a_trip_of_theirs_within_its_buffered_window(charging_world):
    w = charging_world
    await records.create_driver(CLI_ACTOR, "D0001", LicenceClass.C1, date.today() + timedelta(days=365))
    await records.create_driver(CLI_ACTOR, "D0002", LicenceClass.C1, date.today() + timedelta(days=365))
    other = await Person.get(employee_no="D0002")
    car = w.vehicle.id
    at = now()
    assert not await records.drivable_by(w.cadre_id, car, at)
    # Assigned from in 10 minutes to 2 hours (+15 buffer): drivable from 15 minutes before the start.
    assigned = await _trip(w, w.vehicle, TripState.ASSIGNED, at + timedelta(minutes=10))
    assert await records.drivable_by(w.cadre_id, car, at)
    assert not await records.drivable_by(w.cadre_id, car, at - timedelta(minutes=10))
    assert await records.drivable_by(w.cadre_id, car, at + timedelta(hours=2, minutes=20))
    assert not await records.drivable_by(w.cadre_id, car, at + timedelta(hours=2, minutes=30))
    assert not await records.drivable_by(other.id, car, at)  # another driver's trip gives nothing
    # Back from the trip: drivable for the buffer after it ended, not later.
    await Trip.filter(id=assigned.id).update(state=TripState.FINISHED, actual_end=at - timedelta(minutes=20))
    assert not await records.drivable_by(w.cadre_id, car, at)
    assert await records.drivable_by(w.cadre_id, car, at - timedelta(minutes=10))
    await Trip.filter(id=assigned.id).update(state=TripState.CANCELLED, actual_end=None)
    assert not await records.drivable_by(w.cadre_id, car, at - timedelta(minutes=10))
    # Out with the car (started), however late: drivable.
    await _trip(w, w.vehicle, TripState.STARTED, at - timedelta(hours=5))
    assert await records.drivable_by(w.cadre_id, car, at)


# ---- expiry ------------------------------------------------------------------------------------


async def test_starts_the_pile_never_used_expire_with_their_tokens_once(charging_world, pile_answers):
    w = charging_world
    await _online(w.pile)
    at = now()
    stale = await starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, at - timedelta(minutes=6))
    session = await _session(w, connector_id=2)
    other = await Person.get(employee_no="D0002")
    used = await StartRequest.create(
        person_id=other.id,
        client_ref="ref-00000002",
        pile_id=w.pile.id,
        connector_id=2,
        id_tag="MUSEDUSEDUSEDUSEDUSE",
        state=StartState.STARTED,
        session=session,
        created_at=at - timedelta(minutes=10),
    )
    fresh = await StartRequest.create(
        person_id=other.id,
        client_ref="ref-00000003",
        pile_id=w.other_pile.id,
        connector_id=1,
        id_tag="MFRESHFRESHFRESHFRES",
        created_at=at - timedelta(minutes=1),
    )

    assert await starts.expire(at) == 1
    assert await starts.expire(at) == 0

    states = dict(await StartRequest.all().values_list("id", "state"))
    assert states == {stale["id"]: StartState.EXPIRED, used.id: StartState.STARTED, fresh.id: StartState.SENT}
    token = (await StartRequest.get(id=stale["id"])).id_tag
    assert (await Tag.get(id_tag=token)).blocked


async def test_unused_starts_are_expired_every_minute(app):
    source = LabelScheduleSource(broker)
    await source.startup()
    crons = {s.task_name: s.cron for s in await source.get_schedules()}
    assert crons["charging.expire_starts"] == "* * * * *"


# ---- live, stop, history, receipt --------------------------------------------------------------


async def test_the_live_view_prices_the_samples_so_far_as_the_bill_will(charging_world):
    w = charging_world
    started = now() - timedelta(minutes=20)
    session = await _session(w, started=started, meter_last_wh=3000)
    for minutes, wh, power in ((5, 1500, 6900), (10, 2200, 7000), (15, 3000, 6800)):
        await MeterValue.create(
            session=session,
            at=started + timedelta(minutes=minutes),
            energy_wh=wh,
            power_w=power,
            soc=40 + minutes,
            received_at=now(),
        )

    shown = await starts.live(w.cadre_id, session.id)

    expected = tariffs.price(
        w.tariff,
        [(started, 1000)] + [(started + timedelta(minutes=m), wh) for m, wh in ((5, 1500), (10, 2200), (15, 3000))],
    )
    assert expected.energy_wh == 2000
    assert (shown["energy_wh"], shown["amount_fen"]) == (expected.energy_wh, expected.amount_fen)
    assert (shown["power_w"], shown["soc"], shown["state"], shown["bill"]) == (6800, 55, "active", None)
    assert 20 * 60 <= shown["duration_s"] <= 20 * 60 + 30
    assert (shown["site_name"], shown["pile_name"]) == ("行政中心光储充车棚", "1 号桩")
    assert shown["payer_label"] == "个人一卡通"


async def test_a_stopped_session_shows_before_its_bill_exactly_what_the_bill_charges(charging_world):
    """A sample above the stop reading (the pile's stop is the last word) is dropped by the bill:
    the live view between the stop and the bill must drop it too, and agree with the bill."""
    w = charging_world
    started = now() - timedelta(minutes=30)
    session = await _session(
        w,
        started=started,
        state=SessionState.STOPPED,
        stopped_at=started + timedelta(minutes=15),
        meter_stop_wh=2000,
        meter_last_wh=2000,
    )
    for minutes, wh in ((5, 1500), (10, 2600)):
        at = started + timedelta(minutes=minutes)
        await MeterValue.create(session=session, at=at, energy_wh=wh, received_at=now())

    shown = await starts.live(w.cadre_id, session.id)

    assert shown["bill"] is None and shown["energy_wh"] == 1000
    bill = await billing.bill(session.id, now())
    assert (shown["energy_wh"], shown["amount_fen"]) == (bill.energy_wh, bill.amount_fen)
    receipt = await starts.receipt(w.cadre_id, session.id)
    assert (receipt["bill"]["energy_wh"], receipt["bill"]["amount_fen"]) == (1000, bill.amount_fen)


async def test_a_session_not_the_cadres_is_not_found(charging_world, pile_answers):
    w = charging_world
    other = await Person.get(employee_no="D0002")
    session = await _session(w, person_id=other.id)
    for call in (
        starts.live(w.cadre_id, session.id),
        starts.receipt(w.cadre_id, session.id),
        starts.stop(None, w.cadre_id, session.id, now()),
    ):
        assert await _code(call) == "charging.session_not_found"
    assert pile_answers.calls == []


async def test_stop_asks_the_pile_to_stop_the_transaction_and_a_stopped_session_stays_stopped(
    charging_world, pile_answers
):
    w = charging_world
    session = await _session(w)

    shown = await starts.stop(None, w.cadre_id, session.id, now())

    assert pile_answers.calls == [
        (
            "CP-1001",
            commands.Action.REMOTE_STOP,
            {"transaction_id": session.id},
            {"person_id": w.cadre_id, "timeout": 10},
        ),
    ]
    assert shown["state"] == "active"  # until the pile reports the stop
    pile_answers.state = CommandState.REJECTED
    pile_answers.data = {"status": "Rejected"}
    assert await _code(starts.stop(None, w.cadre_id, session.id, now())) == "charging.command_rejected"
    await Session.filter(id=session.id).update(state=SessionState.STOPPED, stopped_at=now(), meter_stop_wh=2000)
    assert await _code(starts.stop(None, w.cadre_id, session.id, now())) == "charging.session_not_active"


async def test_history_lists_the_cadres_sessions_newest_first_with_their_bills(charging_world):
    w = charging_world
    older = await _session(
        w,
        started=now() - timedelta(days=1),
        state=SessionState.STOPPED,
        stopped_at=now() - timedelta(days=1) + timedelta(hours=1),
        meter_stop_wh=11000,
        stop_reason="Local",
    )
    await Bill.create(
        session=older,
        energy_wh=10000,
        bands={"peak": 4000, "flat": 6000},
        energy_fen=860,
        service_fen=400,
        amount_fen=1260,
        paid_fen=1260,
        billed_at=now() - timedelta(days=1),
    )
    newer = await _session(w, connector_id=2)
    await _session(w, person_id=(await Person.get(employee_no="D0002")).id, started=now())

    page = await starts.history(w.cadre_id, 1, 20)

    assert page["total"] == 2 and [s["session_id"] for s in page["items"]] == [newer.id, older.id]
    bill = page["items"][1]["bill"]
    assert (bill["amount_fen"], bill["paid_fen"], bill["shortfall_fen"]) == (1260, 1260, 0)
    assert bill["bands"] == [
        {"band": "peak", "label": "峰", "energy_wh": 4000},
        {"band": "flat", "label": "平", "energy_wh": 6000},
    ]
    receipt = await starts.receipt(w.cadre_id, older.id)
    assert receipt["tariff_name"] == "2026 年分时电价"
    assert (receipt["meter_start_wh"], receipt["meter_stop_wh"]) == (1000, 11000)
    assert receipt["bill"] == bill and (await starts.live(w.cadre_id, older.id))["amount_fen"] == 1260


async def test_a_driver_sees_the_official_car_session_they_started(charging_world):
    w = charging_world
    session = await _session(w, payer_kind=PayerKind.FLEET, vehicle_id=w.vehicle.id, unit_id=w.unit_id)
    await Session.filter(id=session.id).update(person_id=None)
    await StartRequest.create(
        person_id=w.cadre_id,
        client_ref="ref-00000001",
        pile_id=w.pile.id,
        connector_id=1,
        vehicle_id=w.vehicle.id,
        id_tag="MDRIVERDRIVERDRIVER2",
        state=StartState.STARTED,
        session=session,
        created_at=now(),
    )
    shown = await starts.live(w.cadre_id, session.id)
    assert (shown["plate"], shown["payer_label"]) == ("浙AD12345", "单位公务用车")
    assert [s["session_id"] for s in (await starts.history(w.cadre_id, 1, 20))["items"]] == [session.id]


# ---- piles near me -----------------------------------------------------------------------------


async def test_piles_near_list_sites_nearest_first_with_each_connectors_state(charging_world):
    w = charging_world
    far = await Site.create(name="城东车棚", lat=30.30, lng=120.20)
    await Site.create(name="未定位车棚")
    await Pile.create(site=far, box_id="CP-2001", name="东 1 号桩", password_hash="x", connectors=1)
    await _online(w.pile, ConnectorStatus.PREPARING, ConnectorStatus.CHARGING)
    await Connector.create(pile_id=w.other_pile.id, connector_id=1, status=ConnectorStatus.FAULTED)
    await Pile.filter(id=w.other_pile.id).update(last_seen_at=now())

    sites = await starts.piles_near(30.2740, 120.1550, 10)

    assert [s["name"] for s in sites] == ["行政中心光储充车棚", "城东车棚"]
    assert sites[0]["distance_m"] < 20 < 5000 < sites[1]["distance_m"]
    states = {p["box_id"]: [c["state"] for c in p["connectors"]] for p in sites[0]["piles"]}
    assert states == {"CP-1001": ["free", "charging"], "CP-1002": ["faulted", "offline"]}
    assert sites[0]["free"] == 1 and sites[1]["piles"][0]["connectors"][0]["state_label"] == "离线"
    assert [s["name"] for s in await starts.piles_near(30.30, 120.20, 1)] == ["城东车棚"]


# ---- at once (PostgreSQL) ----------------------------------------------------------------------


async def test_one_press_sent_five_times_at_once_starts_once(charging_world, pile_answers, requires_postgres):
    w = charging_world
    await _online(w.pile)

    answers = await asyncio.gather(
        *(starts.start(None, w.cadre_id, "CP-1001", 1, "ref-00000001", None, now()) for _ in range(5))
    )

    assert len({a["id"] for a in answers}) == 1 and len(pile_answers.calls) == 1
    assert await StartRequest.all().count() == 1 and await Tag.filter(kind=TagKind.TOKEN).count() == 1


async def test_presses_on_every_connector_at_once_start_one_session(charging_world, pile_answers, requires_postgres):
    w = charging_world
    await _online(w.pile)
    await _online(w.other_pile)
    places = [("CP-1001", 1), ("CP-1001", 2), ("CP-1002", 1), ("CP-1002", 2)]

    results = await asyncio.gather(
        *(starts.start(None, w.cadre_id, box, n, f"ref-0000000{i}", None, now()) for i, (box, n) in enumerate(places)),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, AppError)]
    assert len(refused) == 3 and {e.code for e in refused} == {"charging.already_charging"}
    assert await StartRequest.all().count() == 1 and len(pile_answers.calls) == 1
