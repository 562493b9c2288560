"""The OCPP charge-point simulator against the real central system: a whole session by itself,
its offline queue sent again after a reconnect, the charging profile obeyed in its metering, and
its command line."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from backend.charging.models import Bill, CommandState, MeterValue, Pile, Session, SessionState
from backend.charging.service import background, bus
from backend.charging.service.commands import Action, send
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


def _profile(purpose: str, limit_w: int, transaction_id: int | None = None) -> dict:
    profile = {
        "charging_profile_id": 1,
        "stack_level": 0,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "W",
            "charging_schedule_period": [{"start_period": 0, "limit": limit_w}],
        },
    }
    if transaction_id is not None:
        profile["transaction_id"] = transaction_id
    return profile


async def test_the_simulator_obeys_charging_profiles_per_connector(app, charging_world):
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        assert await pile.meter(1, 3600) == 7000
        # A default for the whole pile holds on every connector, with or without a transaction.
        assert (await pile.on_set_charging_profile(0, _profile("TxDefaultProfile", 5000))).status == "Accepted"
        assert pile.plugs[1].draw_w == pile.plugs[2].draw_w == 5000
        # A transaction's own limit needs a transaction on that connector, and the right one.
        assert (await pile.on_set_charging_profile(2, _profile("TxProfile", 2000))).status == "Rejected"
        transaction = await pile.start_transaction(charging_world.card_uid, 2)
        assert transaction.id is not None
        wrong = _profile("TxProfile", 2000, transaction.id + 1)
        assert (await pile.on_set_charging_profile(2, wrong)).status == "Rejected"
        right = _profile("TxProfile", 2000, transaction.id)
        assert (await pile.on_set_charging_profile(2, right)).status == "Accepted"
        assert (await pile.on_set_charging_profile(0, _profile("TxProfile", 1000))).status == "Rejected"
        assert pile.plugs[1].draw_w == 5000 and pile.plugs[2].draw_w == 2000
        assert await pile.meter(2, 3600) == 2000
        # The transaction's limit ends with it; the default stays.
        await pile.stop(2)
        assert pile.plugs[2].draw_w == 5000
        # A remote start's profile is the coming transaction's limit.
        remote = await pile.on_remote_start("04A1B2C3", 1, _profile("TxProfile", 3500))
        assert remote.status == "Accepted" and pile.plugs[1].draw_w == 3500
        refused = await pile.on_remote_start("04A1B2C3", 2, _profile("TxDefaultProfile", 3500))
        assert refused.status == "Rejected"
    await background.drain()


async def _until(check, seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_the_running_simulator_meters_a_remote_start_on_any_connector_at_once(app, runtime, charging_world):
    pile = asyncio.create_task(run(ocpp_url(app), "CP-1001", PASSWORD, meter_seconds=0.2, power_w=360_000))
    try:
        await _until(_held, 10)
        started = await send(
            runtime.redis, "CP-1001", Action.REMOTE_START, {"connector_id": 2, "id_tag": charging_world.card_uid}
        )
        assert started.state == CommandState.ACCEPTED

        async def metered() -> bool:
            return await MeterValue.filter(session__connector_id=2, energy_wh__gt=0).exists()

        # Metered every 0.2 s from the start, not after the minute's heartbeat.
        await _until(metered, 3)
        session = await Session.get(connector_id=2)
        stopped = await send(runtime.redis, "CP-1001", Action.REMOTE_STOP, {"transaction_id": session.id})
        assert stopped.state == CommandState.ACCEPTED

        async def billed() -> bool:
            return await Bill.filter(session_id=session.id).exists()

        await _until(billed, 5)
        session = await Session.get(id=session.id)
        assert session.state == SessionState.STOPPED and session.stop_reason == "Remote"
        assert session.meter_stop_wh > 0 and not await Session.filter(connector_id=1).exists()
    finally:
        pile.cancel()
        await asyncio.gather(pile, return_exceptions=True)
        await background.drain()


async def test_a_pile_whose_worker_is_gone_reconnects_at_once_and_its_session_goes_on(app, runtime, charging_world):
    pile = asyncio.create_task(run(ocpp_url(app), "CP-1001", PASSWORD, meter_seconds=0.2, power_w=360_000))
    try:
        await _until(_held, 10)
        # The worker holding the idle pile's socket dies: the pile is back within seconds, not
        # at its next heartbeat a minute later.
        await _worker_dies(runtime)
        started = await send(
            runtime.redis, "CP-1001", Action.REMOTE_START, {"connector_id": 1, "id_tag": charging_world.card_uid}
        )
        assert started.state == CommandState.ACCEPTED
        await _until(lambda: MeterValue.filter(energy_wh__gt=0).exists(), 3)
        # And again mid-session: the session goes on over the new connection.
        await _worker_dies(runtime)
        before = await MeterValue.all().count()
        await _until(lambda: _more_than(before), 3)
        session = await Session.get(pile_id=charging_world.pile.id)
        assert session.state == SessionState.ACTIVE and await Session.all().count() == 1
        stopped = await send(runtime.redis, "CP-1001", Action.REMOTE_STOP, {"transaction_id": session.id})
        assert stopped.state == CommandState.ACCEPTED
        await _until(lambda: Bill.filter(session_id=session.id).exists(), 5)
        assert (await Session.get(id=session.id)).meter_stop_wh == max(
            await MeterValue.filter(session_id=session.id).values_list("energy_wh", flat=True)
        )
    finally:
        pile.cancel()
        await asyncio.gather(pile, return_exceptions=True)
        await background.drain()


async def _worker_dies(runtime) -> None:
    """Close the server's end of the pile's socket, as a dying worker does; wait for it back."""
    first = await runtime.redis.get("charging:link:CP-1001")
    await bus._links["CP-1001"][1].close()

    async def back() -> bool:
        now = await runtime.redis.get("charging:link:CP-1001")
        return bus.holds("CP-1001") and now not in (None, first)

    await _until(back, 5)


async def _held() -> bool:
    return bus.holds("CP-1001") and (await Pile.get(box_id="CP-1001")).booted_at is not None


async def _more_than(count: int) -> bool:
    return await MeterValue.all().count() > count


def test_the_command_line_needs_a_password_for_every_pile(tmp_path, monkeypatch):
    monkeypatch.delenv("OCPP_PILE_PASSWORD", raising=False)
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


def test_a_password_can_come_from_the_environment_instead_of_the_command_line(monkeypatch):
    class Args:
        password = None
        password_file = None

    monkeypatch.delenv("OCPP_PILE_PASSWORD", raising=False)
    with pytest.raises(SystemExit, match="OCPP_PILE_PASSWORD"):
        passwords_from(Args, ["SIM-0001"])
    monkeypatch.setenv("OCPP_PILE_PASSWORD", "from-env")
    assert passwords_from(Args, ["SIM-0001", "SIM-0002"]) == {"SIM-0001": "from-env", "SIM-0002": "from-env"}


def test_make_piles_hands_the_passwords_over_in_a_private_file_never_on_the_command_line(tmp_path):
    # A stand-in for the venv's python: it notes its command line and the password file it got.
    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\n"
        'echo "ARGV $*" >> "$(dirname "$0")/seen"\n'
        'while [ $# -gt 0 ]; do [ "$1" = "--password-file" ] && { ls -l "$2"; cat "$2"; } >> "$(dirname "$0")/seen"; '
        "shift; done\n"
    )
    fake.chmod(0o755)
    environment = {**os.environ, "CHARGING_PILES": "CP-0001=secret-aaaa CP-0002=secret-bbbb"}
    root = Path(__file__).resolve().parents[2]
    subprocess.run(
        ["make", "-s", "-o", "install", "piles", f"BIN={tmp_path}"], cwd=root, env=environment, check=True, timeout=60
    )
    seen = (tmp_path / "seen").read_text()
    argv = [line for line in seen.splitlines() if line.startswith("ARGV")]
    assert len(argv) == 2 and all("--password-file" in line for line in argv)
    assert not [line for line in argv if "secret-" in line]
    assert "CP-0001 secret-aaaa" in seen and "CP-0002 secret-bbbb" in seen and "-rw-------" in seen
    # The file is gone once the simulators end.
    assert not Path(argv[0].split("--password-file ")[1].split()[0]).exists()
