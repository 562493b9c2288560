"""Modbus TCP meters: the adapter against pymodbus's own server, holding registers written out by
hand (not by the simulator's encoder), so that the decoding is checked against an independent peer."""

import asyncio
import time

import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from hardware.meters import RegisterMap
from hardware.modbus_meter import ModbusMeter
from hardware.status import DeviceState
from tests.fixtures.energy import MODBUS_MAP

WRITE_COIL = 5


class MeterPeer:
    """A meter on pymodbus's server at unit 1: holding 0-1 = 0x0001E240 (1234.56 kWh in 0.01 kWh),
    holding 10-11 a NaN float, input 20-21 = 1234.5 as a float32 in little word order, coil 0
    closed; every coil write recorded."""

    def __init__(self):
        self.coil_writes: list[tuple[int, bool]] = []
        self.port = 0

    async def start(self):
        coils = [SimData(0, values=[True] + [False] * 15, datatype=DataType.BITS)]
        inputs = [SimData(0, count=16, values=False, datatype=DataType.BITS)]
        holding = [
            SimData(0, values=[0x0001, 0xE240], datatype=DataType.REGISTERS),
            SimData(10, values=[0x7FC0, 0x0000], datatype=DataType.REGISTERS),
        ]
        input_regs = [SimData(20, values=[0x5000, 0x449A], datatype=DataType.REGISTERS)]
        device = SimDevice(id=1, simdata=(coils, inputs, holding, input_regs), action=self._record)
        self._server = ModbusTcpServer(device, address=("127.0.0.1", self.port))
        await self._server.serve_forever(background=True)
        self.port = self._server.transport.sockets[0].getsockname()[1]
        return self

    async def _record(self, function_code, start_address, address, count, registers, set_values):
        if function_code == WRITE_COIL and set_values is not None:
            self.coil_writes.append((address, set_values[0]))

    async def stop(self):
        await self._server.shutdown()


@pytest.fixture
async def peer():
    peer = await MeterPeer().start()
    yield peer
    await peer.stop()


def meter_on(port: int, timeout: float = 1.0, **changes) -> ModbusMeter:
    return ModbusMeter("127.0.0.1", port, 1, RegisterMap.from_dict(MODBUS_MAP | changes), timeout=timeout)


async def test_the_cumulative_register_is_read_in_thousandths(peer):
    meter = meter_on(peer.port)
    try:
        read = await meter.read()
        assert read.status.state is DeviceState.OK and (read.raw_milli, read.problem) == (1_234_560, "")
    finally:
        await meter.close()


async def test_input_registers_with_a_float_in_little_word_order_are_read(peer):
    meter = meter_on(
        peer.port, function="input", address=20, data_type="float32", word_order="little", milli_per_count=1000
    )
    try:
        assert (await meter.read()).raw_milli == 1_234_500
    finally:
        await meter.close()


async def test_a_register_holding_nan_is_garbage_not_a_reading(peer):
    meter = meter_on(peer.port, address=10, data_type="float32")
    try:
        read = await meter.read()
        assert read.status.state is DeviceState.ERROR and read.raw_milli is None
        assert "NaN" in read.problem and read.problem == read.status.message
    finally:
        await meter.close()


async def test_a_register_the_meter_does_not_have_is_an_error_naming_the_modbus_exception(peer):
    meter = meter_on(peer.port, address=100)
    try:
        read = await meter.read()
        assert read.status.state is DeviceState.ERROR and "Modbus 异常码 2" in read.problem
        assert "没有该寄存器" in read.problem
    finally:
        await meter.close()


async def test_cutting_writes_the_relay_coil_once_and_it_reads_back_off(peer):
    meter = meter_on(peer.port)
    try:
        before = await meter.read_switch()
        assert (before.status.state, before.on, before.protected) == (DeviceState.OK, True, False)
        assert (await meter.switch(False)).state is DeviceState.OK
        assert peer.coil_writes == [(0, False)]
        assert (await meter.read_switch()).on is False
        assert (await meter.switch(True)).state is DeviceState.OK
        assert (await meter.read_switch()).on is True
    finally:
        await meter.close()


async def test_a_model_without_a_relay_coil_cannot_switch_and_sends_nothing(peer):
    meter = meter_on(peer.port, coil=None)
    try:
        status = await meter.switch(False)
        assert status.state is DeviceState.ERROR and "没有设置继电器线圈" in status.message
        assert (await meter.read_switch()).on is None
        assert peer.coil_writes == []
    finally:
        await meter.close()


async def test_a_coil_the_meter_does_not_have_is_an_error(peer):
    meter = meter_on(peer.port, coil=200)
    try:
        status = await meter.switch(False)
        assert status.state is DeviceState.ERROR and "Modbus 异常码 2" in status.message
    finally:
        await meter.close()


async def test_a_meter_that_refuses_the_connection_is_disconnected(unused_tcp_port):
    meter = meter_on(unused_tcp_port, timeout=0.3)
    read = await meter.read()
    assert read.status.state is DeviceState.DISCONNECTED and "无法连接" in read.problem
    assert read.raw_milli is None
    assert (await meter.switch(False)).state is DeviceState.DISCONNECTED


async def test_a_meter_that_does_not_answer_is_disconnected_within_the_timeout():
    async def accept_and_say_nothing(reader, writer):
        await reader.read()
        writer.close()

    silent = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    meter = meter_on(silent.sockets[0].getsockname()[1], timeout=0.2)
    try:
        started = time.monotonic()
        read = await meter.read()
        assert read.status.state is DeviceState.DISCONNECTED and "0.2 秒内没有应答" in read.problem
        assert time.monotonic() - started < 1.5
    finally:
        await meter.close()
        silent.close()


async def test_the_meter_is_read_again_when_it_is_back(peer):
    meter = meter_on(peer.port, timeout=0.3)
    try:
        assert (await meter.read()).raw_milli == 1_234_560
        await peer.stop()
        assert (await meter.read()).status.state is DeviceState.DISCONNECTED
        await peer.start()
        assert (await meter.read()).raw_milli == 1_234_560
    finally:
        await meter.close()
