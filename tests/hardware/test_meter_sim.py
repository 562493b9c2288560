"""The simulated meters other tests, the bench and the demo use: counting at a load, the relay,
the fault switches, and both servers (the Modbus bank through the adapter, the DL/T 645 gateway
through the adapter and through the `dlt645` package's client)."""

import asyncio

import pytest
from dlt645.aio import AsyncMeterClientService

from hardware.dlt645_meter import (
    CLOSE_DIRECT,
    CLOSE_PERMIT,
    PROTECT,
    Dlt645Meter,
    address_bytes,
    control_request,
    decode_frame,
    parse_secret,
)
from hardware.meter_sim import Dlt645MeterSim, MeterFault, ModbusMeterSim, SimMeter
from hardware.meters import open_meter
from hardware.status import DeviceState
from tests.fixtures.energy import MODBUS_MAP


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_register_advances_with_the_load_while_the_relay_is_on_and_stops_while_off():
    clock = Clock()
    meter = SimMeter(milli=1_000, load_milli_per_hour=3_600, clock=clock)
    clock.now += 1800
    assert meter.milli == 2_800
    meter.on = False
    clock.now += 3600
    assert meter.milli == 2_800
    meter.on = True
    clock.now += 10
    assert meter.milli == 2_810


def test_setting_the_register_or_the_load_takes_effect_from_that_moment_and_speed_scales_time():
    clock = Clock()
    meter = SimMeter(load_milli_per_hour=1_000, speed=60, clock=clock)
    clock.now += 60  # an hour at 60 simulated minutes per minute
    meter.load_milli_per_hour = 2_000
    assert meter.milli == 1_000
    meter.milli = 0  # a reset
    clock.now += 30
    assert meter.milli == 1_000


def test_jump_and_backwards_change_what_is_shown_while_on_but_not_the_register():
    meter = SimMeter(milli=50_000, clock=Clock())
    meter.fault = MeterFault.JUMP
    assert meter.shown_milli() == 1_050_000
    meter.fault = MeterFault.BACKWARDS
    assert meter.shown_milli() == 40_000
    meter.fault = MeterFault.NONE
    assert meter.shown_milli() == meter.milli == 50_000


def test_a_stuck_relay_takes_the_command_but_does_not_move():
    meter = SimMeter(clock=Clock())
    meter.fault = MeterFault.STUCK_RELAY
    meter.command(False)
    assert (meter.on, meter.command_on) == (True, False)


def test_a_close_allowed_waits_for_the_button_and_a_trip_withdraws_it():
    meter = SimMeter(on=False, clock=Clock())
    assert meter.press_button() is False  # nothing allowed: the button does nothing
    meter.permit_close()
    assert (meter.on, meter.command_on, meter.close_permitted) == (False, True, True)
    assert meter.press_button() is True
    assert (meter.on, meter.close_permitted) == (True, False)
    meter.command(False)
    meter.permit_close()
    meter.command(False)  # tripped again before anyone came: the permission is gone
    assert meter.press_button() is False and meter.on is False
    meter.permit_close()
    meter.fault = MeterFault.STUCK_RELAY
    assert meter.press_button() is False and meter.on is False


# ---- the Modbus bank ----


@pytest.fixture
async def bank():
    sim = ModbusMeterSim(
        {1: SimMeter(milli=1_234_560), 2: SimMeter(milli=500, load_milli_per_hour=36_000_000)}, MODBUS_MAP
    )
    await sim.start()
    yield sim
    await sim.stop()


def modbus(sim: ModbusMeterSim, unit: int, timeout: float = 1.0):
    return open_meter("modbus_tcp", f"127.0.0.1:{sim.port}", str(unit), MODBUS_MAP, timeout=timeout)


async def test_each_unit_id_answers_its_own_register_on_the_port_picked_at_start(bank):
    assert bank.port != 0
    first, second = modbus(bank, 1), modbus(bank, 2)
    try:
        assert (await first.read()).raw_milli == 1_234_560
        before = (await second.read()).raw_milli
        await asyncio.sleep(0.05)
        assert (await second.read()).raw_milli > before  # 10 kWh a second
    finally:
        await first.close()
        await second.close()


async def test_the_relay_coil_switches_the_meter_and_every_write_is_recorded(bank):
    meter = modbus(bank, 1)
    try:
        assert (await meter.switch(False)).state is DeviceState.OK
        assert bank.meters[1].on is False and (await meter.read_switch()).on is False
        assert bank.coil_writes == [(1, False)]
        bank.meters[1].fault = MeterFault.STUCK_RELAY
        assert (await meter.switch(True)).state is DeviceState.OK
        assert (await meter.read_switch()).on is False
        assert bank.coil_writes == [(1, False), (1, True)]
    finally:
        await meter.close()


async def test_modbus_fault_switches_silence_garble_jump_and_step_back_one_meter(bank):
    meter, other = modbus(bank, 1, timeout=0.3), modbus(bank, 2)
    try:
        bank.meters[1].fault = MeterFault.SILENT
        assert (await meter.read()).status.state is DeviceState.DISCONNECTED
        assert (await other.read()).status.state is DeviceState.OK
        bank.meters[1].fault = MeterFault.GARBAGE
        garbage = await meter.read()
        assert garbage.status.state is DeviceState.ERROR and "无数据" in garbage.problem
        bank.meters[1].fault = MeterFault.JUMP
        assert (await meter.read()).raw_milli == 2_234_560
        bank.meters[1].fault = MeterFault.BACKWARDS
        assert (await meter.read()).raw_milli == 1_224_560
        bank.meters[1].fault = MeterFault.NONE
        assert (await meter.read()).raw_milli == 1_234_560
    finally:
        await meter.close()
        await other.close()


async def test_an_unknown_unit_id_is_silent(bank):
    meter = modbus(bank, 9, timeout=0.2)
    try:
        assert (await meter.read()).status.state is DeviceState.DISCONNECTED
    finally:
        await meter.close()


async def test_the_bank_serves_a_float_register_in_input_registers_on_a_fixed_port(unused_tcp_port):
    regs = {
        "function": "input",
        "address": 100,
        "data_type": "float32",
        "word_order": "little",
        "milli_per_count": 1000,
        "coil": 20,
    }
    sim = await ModbusMeterSim({5: SimMeter(milli=12_345_678)}, regs, port=unused_tcp_port).start()
    meter = open_meter("modbus_tcp", f"127.0.0.1:{unused_tcp_port}", "5", regs)
    try:
        assert sim.port == unused_tcp_port
        assert abs((await meter.read()).raw_milli - 12_345_678) <= 1  # float32 keeps ~7 digits
        assert (await meter.switch(False)).state is DeviceState.OK and sim.meters[5].on is False
    finally:
        await meter.close()
        await sim.stop()


async def test_the_bank_can_be_stopped_and_started_again_on_its_port(bank):
    meter = modbus(bank, 1, timeout=0.3)
    try:
        await bank.stop()
        assert (await meter.read()).status.state is DeviceState.DISCONNECTED
        await bank.start()
        assert (await meter.read()).raw_milli == 1_234_560
    finally:
        await meter.close()


# ---- the DL/T 645 gateway ----

ADDRESS = "123456789012"


@pytest.fixture
async def gateway():
    sim = await Dlt645MeterSim({ADDRESS: SimMeter(milli=1_234_560)}).start()
    yield sim
    await sim.stop()


def dlt645(sim: Dlt645MeterSim, address: str = ADDRESS, timeout: float = 1.0) -> Dlt645Meter:
    return Dlt645Meter.from_settings(f"127.0.0.1:{sim.port}", address, "02123456:00000001", timeout=timeout)


async def test_the_gateway_answers_the_dlt645_packages_own_client(gateway):
    client = AsyncMeterClientService.new_tcp_client("127.0.0.1", gateway.port, timeout=2)
    client.address = bytearray(address_bytes(ADDRESS))
    await client.connect()
    try:
        assert (await client.read_00(0x00010000)).value == pytest.approx(1234.56)
        assert (await client.read_04(0x04000503)).value == "0000"
        gateway.meters[ADDRESS].protected = True
        gateway.meters[ADDRESS].on = False
        assert (await client.read_04(0x04000503)).value == "1050"  # bits 12, 6 and 4
    finally:
        await client.disconnect()


async def test_dlt645_fault_switches_silence_garble_jump_and_step_back(gateway):
    meter = dlt645(gateway, timeout=0.3)
    try:
        gateway.meters[ADDRESS].fault = MeterFault.SILENT
        assert (await meter.read()).status.state is DeviceState.DISCONNECTED
        gateway.meters[ADDRESS].fault = MeterFault.GARBAGE
        garbage = await meter.read()
        assert garbage.status.state is DeviceState.ERROR and "BCD" in garbage.problem
        gateway.meters[ADDRESS].fault = MeterFault.JUMP
        assert (await meter.read()).raw_milli == 2_234_560
        gateway.meters[ADDRESS].fault = MeterFault.BACKWARDS
        assert (await meter.read()).raw_milli == 1_224_560
    finally:
        await meter.close()


async def test_a_stuck_relay_acknowledges_the_trip_but_reads_back_closed(gateway):
    gateway.meters[ADDRESS].fault = MeterFault.STUCK_RELAY
    meter = dlt645(gateway)
    try:
        assert (await meter.switch(False)).state is DeviceState.OK
        assert (await meter.read_switch()).on is True
    finally:
        await meter.close()


async def test_the_register_rolls_over_at_a_million_kwh_as_xxxxxx_xx_does(gateway):
    gateway.meters[ADDRESS].milli = 1_000_000_000 + 70
    meter = dlt645(gateway)
    try:
        assert (await meter.read()).raw_milli == 70
    finally:
        await meter.close()


def test_close_allowed_and_direct_close_as_the_gateway_answers_them(gateway):
    password, operator = parse_secret("02123456:00000001")
    meter = gateway.meters[ADDRESS]
    meter.on = False

    def control(command: int) -> int:
        request = control_request(
            address_bytes(ADDRESS), command, password, operator, gateway.clock().replace(year=2099)
        )
        return decode_frame(gateway.answer(decode_frame(request)[0]))[0].control

    assert control(CLOSE_PERMIT) == 0x9C and meter.on is False and meter.press_button() is True
    meter.on = False
    assert control(CLOSE_DIRECT) == 0x9C and meter.on is True
    meter.on, meter.direct_close = False, False
    assert control(CLOSE_DIRECT) == 0xDC and meter.on is False  # "other error": no such command


def test_protection_is_switched_on_by_its_own_command_which_the_adapter_never_sends(gateway):
    password, operator = parse_secret("02123456:00000001")
    frame, _ = decode_frame(
        control_request(address_bytes(ADDRESS), PROTECT, password, operator, gateway.clock().replace(year=2099))
    )
    assert decode_frame(gateway.answer(frame))[0].control == 0x9C
    assert gateway.meters[ADDRESS].protected is True


async def test_the_gateway_can_be_stopped_and_started_again_on_its_port(gateway):
    meter = dlt645(gateway, timeout=0.3)
    try:
        port = gateway.port
        await gateway.stop()
        assert (await meter.read()).status.state is DeviceState.DISCONNECTED
        await gateway.start()
        assert gateway.port == port and (await meter.read()).raw_milli == 1_234_560
    finally:
        await meter.close()


def test_a_gateway_meter_address_that_is_not_12_digits_is_refused():
    with pytest.raises(ValueError, match="12 位数字"):
        Dlt645MeterSim({"12345678901": SimMeter()})
