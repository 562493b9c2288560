"""Gate relays: the Modbus driver against pymodbus's own server as the relay board; the simulator."""

import asyncio
import time

import pytest

from hardware.relay import ModbusGateRelay, SimulatedGateRelay
from hardware.status import DeviceState
from tests.hardware.helpers import eventually
from tests.helpers.relay_board import RelayBoard


@pytest.fixture
async def board():
    board = await RelayBoard().start()
    yield board
    await board.stop()


async def test_opening_the_gate_pulses_its_coil_for_pulse_ms(board):
    relay = ModbusGateRelay("127.0.0.1", board.port, unit=1, coil=3, pulse_ms=150, timeout=1)
    try:
        opening = asyncio.create_task(relay.open_gate())
        await eventually(lambda: board.coil_writes)
        assert (await relay.read_coil()).value is True

        assert (await opening).state is DeviceState.OK

        (coil, on, started), (_, off, ended) = board.coil_writes
        assert (coil, on, off) == (3, True, False)
        assert 0.14 <= ended - started < 0.5
        assert (await relay.read_coil()).value is False
    finally:
        await relay.close()


async def test_cancelled_opening_still_switches_the_coil_off(board):
    relay = ModbusGateRelay("127.0.0.1", board.port, coil=2, pulse_ms=5000)
    try:
        opening = asyncio.create_task(relay.open_gate())
        await eventually(lambda: board.coil_writes)
        opening.cancel()
        with pytest.raises(asyncio.CancelledError):
            await opening
        assert [(coil, on) for coil, on, _ in board.coil_writes] == [(2, True), (2, False)]
    finally:
        await relay.close()


async def test_board_inputs_are_read(board):
    relay = ModbusGateRelay("127.0.0.1", board.port)
    try:
        assert [(await relay.read_input(address)).value for address in (0, 1)] == [True, False]
    finally:
        await relay.close()


async def test_coil_the_board_does_not_have_is_an_error_with_the_modbus_exception(board):
    relay = ModbusGateRelay("127.0.0.1", board.port, coil=200, pulse_ms=10)
    try:
        status = await relay.open_gate()
        assert status.state is DeviceState.ERROR and "Modbus exception 2" in status.message
        assert board.coil_writes == []
    finally:
        await relay.close()


async def test_relay_that_refuses_the_connection_is_disconnected(unused_tcp_port):
    relay = ModbusGateRelay("127.0.0.1", unused_tcp_port, timeout=0.3)
    status = await relay.open_gate()
    assert status.state is DeviceState.DISCONNECTED and f"127.0.0.1:{unused_tcp_port}" in status.message
    assert (await relay.read_input(0)).value is None


async def test_relay_that_does_not_answer_times_out_as_disconnected():
    async def accept_and_say_nothing(reader, writer):
        await reader.read()
        writer.close()

    silent = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    relay = ModbusGateRelay("127.0.0.1", silent.sockets[0].getsockname()[1], pulse_ms=10, timeout=0.2)
    try:
        started = time.monotonic()
        status = await relay.open_gate()
        assert status.state is DeviceState.DISCONNECTED and "no answer within 0.2 s" in status.message
        assert time.monotonic() - started < 1.5
    finally:
        await relay.close()
        silent.close()


async def test_relay_reconnects_when_the_board_is_back(board):
    relay = ModbusGateRelay("127.0.0.1", board.port, pulse_ms=10, timeout=0.3)
    try:
        assert (await relay.status()).state is DeviceState.OK
        await board.stop()
        assert (await relay.status()).state is DeviceState.DISCONNECTED
        await board.start()
        assert (await relay.open_gate()).state is DeviceState.OK
    finally:
        await relay.close()


async def test_simulated_relay_counts_openings_and_refuses_while_unplugged():
    relay = SimulatedGateRelay(pulse_ms=1)
    relay.inputs[0] = True
    assert (await relay.open_gate()).state is DeviceState.OK
    assert relay.openings == 1 and (await relay.read_input(0)).value is True
    relay.unplug()
    assert (await relay.open_gate()).state is DeviceState.DISCONNECTED
    assert relay.openings == 1 and (await relay.read_coil()).value is None
