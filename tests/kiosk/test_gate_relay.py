"""The gate agent drives its relay: pymodbus's own server plays the relay board. An allowed pass
pulses the gate coil, online and with the network to the backend cut; a refused one does not; a
board that does not answer is a device status on the screen and in the heartbeat, and the gate
goes on deciding."""

import asyncio

from backend.access.errors import AccessError
from backend.accounts.models import Device
from hardware.status import DeviceState
from tests.fixtures.access_kiosk import gate_agent, issue_pass, synced
from tests.fixtures.kiosk import eventually
from tests.helpers.environment import free_port
from tests.helpers.relay_board import RelayBoard


async def test_an_allowed_pass_pulses_the_relay_online_and_offline_and_a_refused_one_does_not(
    access_world, settings, kiosk_network, tmp_path
):
    board = await RelayBoard().start()
    agent = gate_agent(
        kiosk_network.url,
        access_world.entry_terminal,
        tmp_path,
        f"modbus+tcp://127.0.0.1:{board.port}?coil=2&pulse_ms=100",
    )
    await agent.start()
    try:
        await synced(agent)
        online = await agent.pass_scanned((await issue_pass(access_world)).token(settings.data_key))
        assert online.allowed
        await eventually(lambda: len(board.coil_writes) == 2, what="the online pulse")

        await kiosk_network.cut()
        offline = await agent.pass_scanned((await issue_pass(access_world)).token(settings.data_key))
        assert offline.allowed and agent.link.online is False
        await eventually(lambda: len(board.coil_writes) == 4, what="the offline pulse")

        refused = await agent.pass_scanned((await issue_pass(access_world, ends_in=-1)).token(settings.data_key))
        assert refused.reason == AccessError.PASS_EXPIRED.code
        await asyncio.sleep(0.3)  # a pulse would have begun within milliseconds
    finally:
        await agent.stop()
        await board.stop()
    assert [(coil, on) for coil, on, _ in board.coil_writes] == [(2, True), (2, False)] * 2
    assert agent.relay_status.state is DeviceState.OK


async def test_a_relay_that_does_not_answer_is_a_status_not_a_crash(access_world, settings, app, tmp_path):
    agent = gate_agent(
        app.ctx.base_url,
        access_world.entry_terminal,
        tmp_path,
        f"modbus+tcp://127.0.0.1:{free_port()}?timeout=0.2&pulse_ms=50",
        heartbeat_seconds=0.2,
    )
    await agent.start()
    try:
        await synced(agent)
        screen = agent.snapshot()
        assert screen["relay"]["state"] == "disconnected"
        for _ in range(2):  # the gate goes on deciding after the fault
            decision = await agent.pass_scanned((await issue_pass(access_world)).token(settings.data_key))
            assert decision.allowed

        async def fault_heard() -> bool:
            device = await Device.get(code=access_world.entry_terminal.code)
            return (device.last_status or {}).get("relay") == "disconnected"

        await eventually(fault_heard, what="the relay's fault in the heartbeat")
        assert "cannot connect" in agent.snapshot()["relay"]["message"]
    finally:
        await agent.stop()
