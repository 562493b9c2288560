"""What a pile reports is recorded once and truthfully: an unknown stop sent again is one
incident, a connector the pile is not registered with is kept and recorded, a fault whose error
changes is a new fault, a stop answers the tag's verdict, a free session of a car records no
upkeep."""

from __future__ import annotations

from backend.charging.models import Bill, Connector, Fault, Incident, IncidentKind, Tag
from backend.charging.service import sessions
from backend.charging.service.sessions import TagVerdict
from backend.fleet.models import UpkeepRecord
from tests.helpers.charging_events import at, ref, start, stop


async def test_an_unknown_stop_sent_again_is_recorded_once(charging_world, runtime, sent):
    pile = ref(charging_world.pile)
    for _ in range(3):
        await sessions.stop_transaction(runtime.redis, pile, -1, 100, at(11), "Local", None, [], at(11))
    assert await Incident.filter(kind=IncidentKind.UNKNOWN_TRANSACTION).count() == 1


async def test_a_connector_the_pile_does_not_have_is_kept_and_recorded(charging_world, runtime, sent):
    pile = ref(charging_world.pile)  # two connectors
    for minute in (0, 1):
        await sessions.status(runtime.redis, pile, 9, "Available", "NoError", "", "", at(10, minute))
    assert await Connector.filter(pile_id=pile.id, connector_id=9).exists()
    started = await start(charging_world, runtime, charging_world.fleet_card, connector=0)
    unknown = await Incident.filter(kind=IncidentKind.CONNECTOR_UNKNOWN).order_by("id")
    assert [(i.session_id, i.detail["connector_id"]) for i in unknown] == [(None, 9), (started.transaction_id, 0)]


async def test_a_fault_whose_error_changes_is_a_new_fault(charging_world, runtime, sent):
    pile = ref(charging_world.pile)
    await sessions.status(runtime.redis, pile, 1, "Faulted", "GroundFailure", "", "", at(10))
    await sessions.status(runtime.redis, pile, 1, "Faulted", "OverCurrentFailure", "", "", at(10, 5))
    faults = await Fault.filter(pile_id=pile.id).order_by("id")
    assert [(f.error_code, f.cleared_at) for f in faults] == [
        ("GroundFailure", at(10, 5)),
        ("OverCurrentFailure", None),
    ]


async def test_a_stop_answers_the_verdict_of_its_tag(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.fleet_card)
    await Tag.filter(id_tag=charging_world.fleet_card).update(blocked=True)
    verdict = await sessions.stop_transaction(
        runtime.redis,
        ref(charging_world.pile),
        started.transaction_id,
        100,
        at(11),
        "Local",
        charging_world.fleet_card,
        [],
        at(11),
    )
    assert verdict == TagVerdict.BLOCKED
    assert (
        await sessions.stop_transaction(
            runtime.redis, ref(charging_world.pile), 99999, 100, at(11), "Local", "DEADBEEF99", [], at(11)
        )
        is None
    )


async def test_an_official_cars_free_session_records_no_upkeep(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.fleet_card, meter=500)
    await stop(charging_world, runtime, started.transaction_id, 500, at(11))
    assert (await Bill.get(session_id=started.transaction_id)).amount_fen == 0
    assert not await UpkeepRecord.filter(vehicle_id=charging_world.vehicle.id).exists()
