"""Times as a pile sends them (UTC, `...Z`), not business time: the hand-written statements
store and compare them as the ORM does, so on SQLite (where a time is text) samples are still
found between start and stop, priced, and the bands follow them."""

from __future__ import annotations

from datetime import UTC

from backend.charging.models import Bill, MeterValue, Session
from backend.charging.service import sessions
from tests.helpers.charging_events import at, ref, sample, settled, start


def utc(hour: int, minute: int = 0):
    return at(hour, minute).astimezone(UTC)


async def test_utc_samples_raise_the_running_cost_and_the_register(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid, when=utc(10))
    pile = ref(charging_world.pile)
    values = [sample(utc(10, 30), 3_500), sample(utc(11), 7_000)]
    await sessions.meter_values(runtime.redis, pile, 1, started.transaction_id, values, utc(11))
    assert await MeterValue.filter(session_id=started.transaction_id).count() == 2
    session = await Session.get(id=started.transaction_id)
    # 7 kWh, all in the 10:00-11:00 peak: 7 × 110 + 7 × 40 service
    assert (session.meter_last_wh, session.running_fen) == (7_000, 1_050)


async def test_utc_samples_place_the_energy_in_their_bands(charging_world, runtime, sent):
    # valley until 08:00, then peak in the test tariff: the sample at 08:00 holds
    # 4 kWh of valley; without it the 5 kWh would be spread evenly over both hours.
    started = await start(charging_world, runtime, charging_world.card_uid, when=utc(7))
    pile = ref(charging_world.pile)
    await sessions.meter_values(runtime.redis, pile, 1, started.transaction_id, [sample(utc(8), 4_000)], utc(8))
    await sessions.stop_transaction(
        runtime.redis, pile, started.transaction_id, 5_000, utc(9), "Local", None, [], utc(9)
    )
    await settled()
    bill = await Bill.get(session_id=started.transaction_id)
    assert bill.energy_wh == 5_000
    assert bill.bands["valley"] == 4_000


async def test_a_utc_start_sent_again_is_the_same_session(charging_world, runtime, sent):
    first = await start(charging_world, runtime, charging_world.card_uid, when=utc(10))
    again = await start(charging_world, runtime, charging_world.card_uid, when=utc(10))
    assert again == first
    assert await Session.all().count() == 1
