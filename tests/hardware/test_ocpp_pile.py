"""The OCPP charge-point simulator against the real central system: a whole session by itself,
its offline queue sent again after a reconnect, the charging profile obeyed in its metering, and
its command line."""

from __future__ import annotations

import asyncio

import pytest

from backend.charging.models import Pile, Session, SessionState
from hardware.ocpp_pile import SimulatedPile, main, open_connection, passwords_from, run
from tests.fixtures.charging import PASSWORD
from tests.helpers.ocpp import ocpp_url, pile_client


async def test_the_simulator_boots_and_runs_a_session_by_itself(app, charging_world):
    pile = await asyncio.wait_for(
        run(
            ocpp_url(app),
            "CP-1001",
            PASSWORD,
            id_tag=charging_world.card_uid,
            meter_seconds=0.2,
            stop_after=0.5,
            power_w=360_000,
        ),
        20,
    )
    session = await Session.get(pile_id=charging_world.pile.id)
    assert session.state == SessionState.STOPPED and session.stop_reason == "Local"
    assert session.meter_stop_wh == pile.plugs[1].register_wh > 0
    assert (await Pile.get(id=charging_world.pile.id)).booted_at is not None


async def test_messages_made_offline_are_sent_again_in_order_after_a_reconnect(app, charging_world):
    connection = await open_connection(ocpp_url(app), "CP-1001", PASSWORD)
    pile = SimulatedPile("CP-1001", connection)
    reader = asyncio.create_task(pile.start())
    await pile.boot()
    await connection.close()
    await asyncio.gather(reader, return_exceptions=True)

    # The cable is plugged and the card tapped while the network is down.
    transaction = await pile.tap(charging_world.card_uid)
    await pile.meter(1, 1800)
    await pile.stop(1)
    assert not pile.online and len(pile.offline.queue) == 3 and transaction.id is None
    assert not await Session.exists()

    pile.connect(await open_connection(ocpp_url(app), "CP-1001", PASSWORD))
    reader = asyncio.create_task(pile.start())
    try:
        assert await pile.flush() == 3
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await pile._connection.close()
    session = await Session.get(id=transaction.id)
    assert session.state == SessionState.STOPPED and session.meter_stop_wh == 3500


async def test_the_simulator_meters_no_more_than_its_charging_profile_allows(app, charging_world):
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        pile.plugs[1].limit_w = None
        assert await pile.meter(1, 3600) == 7000
        limited = {
            "charging_schedule": {
                "charging_rate_unit": "W",
                "charging_schedule_period": [{"start_period": 0, "limit": 3000}],
            }
        }
        assert (await pile.on_set_charging_profile(1, limited)).status == "Accepted"
        assert await pile.meter(1, 3600) == 10000


def test_the_command_line_needs_a_password_for_every_pile(tmp_path):
    with pytest.raises(SystemExit):
        main(["--url", "ws://127.0.0.1:1/ocpp", "--box", "CP-1"])
    table = tmp_path / "piles.txt"
    table.write_text("# box password\nSIM-0001 aaaa\nSIM-0002 bbbb\n")

    class Args:
        password = None
        password_file = str(table)

    assert passwords_from(Args, ["SIM-0001", "SIM-0002"]) == {"SIM-0001": "aaaa", "SIM-0002": "bbbb"}
    with pytest.raises(SystemExit, match="SIM-0003"):
        passwords_from(Args, ["SIM-0003"])
