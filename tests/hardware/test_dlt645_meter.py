"""DL/T 645-2007 meters: the frame codec against frames worked out by hand from the standard, reads
against the `dlt645` package's TCP server (an independent implementation), the 1CH trip/close
control byte for byte on the wire and end to end against the simulator, and the lines (a TCP
gateway, a local serial port)."""

import asyncio
import os
import time
from datetime import datetime, timedelta

import pytest
from dlt645.aio import AsyncMeterServerService

from hardware.dlt645_meter import (
    CLOSE_DIRECT,
    CLOSE_PERMIT,
    TRIP,
    Dlt645Meter,
    Frame,
    address_bytes,
    beijing_now,
    close_command,
    control_request,
    decode_frame,
    encode_frame,
    from_bcd,
    parse_secret,
    read_request,
    to_bcd,
)
from hardware.meter_sim import Dlt645MeterSim, SimMeter
from hardware.status import DeviceState

ADDRESS = "123456789012"
A = bytes.fromhex("129078563412")  # the address on the line: low digits first
SECRET = "02123456:00000001"
FIXED = datetime(2026, 3, 2, 12, 5, 9)

# Worked by hand: 68 A0..A5 68 C L DATA+33H CS 16, CS the byte sum from the first 68H, modulo 256.
# Read 正向有功总电能: DI 00 01 00 00 sent low byte first, 00 00 01 00 -> 33 33 34 33.
# CS: 68+12+90+78+56+34+12+68+11+04+33+33+34+33 = 368H -> 68.
READ_ENERGY = bytes.fromhex("68 129078563412 68 11 04 33333433 68 16")
# Read status word 3: DI 04 00 05 03 -> 03 05 00 04 -> 36 38 33 37; sum 373H -> 73.
READ_STATUS_3 = bytes.fromhex("68 129078563412 68 11 04 36383337 73 16")
# Trip, password level 02 password 123456 (PA P0 P1 P2 = 02 56 34 12 -> 35 89 67 45), operator
# 00000001 (C0..C3 = 01 00 00 00 -> 34 33 33 33), N1 1AH -> 4D, N2 00 -> 33, valid until
# 2026-03-02 12:15:09 (ss mm hh DD MM YY = 09 15 12 02 03 26 -> 3C 48 45 35 36 59), L = 16 = 10H;
# sum 6F6H -> F6.
TRIP_FRAME = bytes.fromhex("68 129078563412 68 1C 10 35896745 34333333 4D 33 3C4845353659 F6 16")
# 直接合闸 (direct close): N1 1CH -> 4F, two more in the sum -> F8.
DIRECT_CLOSE_FRAME = bytes.fromhex("68 129078563412 68 1C 10 35896745 34333333 4F 33 3C4845353659 F8 16")
# 合闸允许 (close allowed): N1 1BH -> 4E, one more than the trip in the sum -> F7.
PERMIT_CLOSE_FRAME = bytes.fromhex("68 129078563412 68 1C 10 35896745 34333333 4E 33 3C4845353659 F7 16")
# The meter's normal answer to the control: C = 9CH, no data; sum 322H -> 22.
CONTROL_DONE = bytes.fromhex("68 129078563412 68 9C 00 22 16")
# Its abnormal answer: C = DCH, the error word 04H (wrong password) -> 37; sum 39AH -> 9A.
CONTROL_REFUSED = bytes.fromhex("68 129078563412 68 DC 01 37 9A 16")
# The energy answer: DI again, then 1234.56 kWh as XXXXXX.XX (00 12 34 56, low byte first
# 56 34 12 00 -> 89 67 45 33); sum 554H -> 54.
ENERGY_ANSWER = bytes.fromhex("68 129078563412 68 91 08 33333433 89674533 54 16")


def test_read_frames_are_built_as_worked_out_from_the_standard():
    assert address_bytes(ADDRESS) == A
    assert read_request(A, 0x00010000) == READ_ENERGY
    assert read_request(A, 0x04000503) == READ_STATUS_3


def test_trip_and_close_frames_carry_password_operator_command_and_deadline_byte_for_byte():
    password, operator = parse_secret(SECRET)
    assert (password, operator) == (bytes.fromhex("02563412"), bytes.fromhex("01000000"))
    deadline = datetime(2026, 3, 2, 12, 15, 9)
    assert control_request(A, TRIP, password, operator, deadline) == TRIP_FRAME
    assert control_request(A, CLOSE_DIRECT, password, operator, deadline) == DIRECT_CLOSE_FRAME
    assert control_request(A, CLOSE_PERMIT, password, operator, deadline) == PERMIT_CLOSE_FRAME


def test_a_models_close_option_picks_direct_close_unless_it_says_permit():
    assert close_command(None) == close_command({}) == close_command({"close": "direct"}) == CLOSE_DIRECT
    assert close_command({"close": "permit"}) == CLOSE_PERMIT
    with pytest.raises(ValueError, match="合闸方式"):
        close_command({"close": "button"})
    assert Dlt645Meter.from_settings("127.0.0.1:1", ADDRESS, SECRET).close_command == CLOSE_DIRECT
    permit = Dlt645Meter.from_settings("127.0.0.1:1", ADDRESS, SECRET, register_map={"close": "permit"})
    assert permit.close_command == CLOSE_PERMIT


def test_answers_are_decoded_with_the_offset_removed():
    frame, rest = decode_frame(ENERGY_ANSWER)
    assert frame == Frame(A, 0x91, bytes.fromhex("00000100 56341200")) and rest == b""
    assert frame.is_answer and not frame.is_abnormal and frame.function == 0x11
    refused, _ = decode_frame(CONTROL_REFUSED)
    assert refused.is_abnormal and refused.data == b"\x04"


def test_decoding_skips_wake_up_bytes_noise_and_damaged_frames_and_keeps_a_partial_one():
    damaged = ENERGY_ANSWER[:-2] + b"\x00\x16"
    frame, rest = decode_frame(b"\xfe\xfe\xfe\xfe\x00\x68\x01" + damaged + CONTROL_DONE + ENERGY_ANSWER[:9])
    assert frame == Frame(A, 0x9C, b"") and rest == ENERGY_ANSWER[:9]
    assert decode_frame(rest + ENERGY_ANSWER[9:])[0] == decode_frame(ENERGY_ANSWER)[0]
    assert decode_frame(b"\xfe\xfe\x01\x02") == (None, b"")


def test_bcd_is_low_byte_first_and_refuses_non_decimal_bytes():
    assert to_bcd(123456, 4) == bytes.fromhex("56341200")
    assert from_bcd(bytes.fromhex("56341200")) == 123456
    with pytest.raises(ValueError):
        from_bcd(b"\xff\xff")
    with pytest.raises(ValueError):
        to_bcd(100, 1)


def test_frames_round_trip_through_the_codec():
    frame = encode_frame(A, 0x14, bytes(range(0, 250, 7)))
    assert decode_frame(frame) == (Frame(A, 0x14, bytes(range(0, 250, 7))), b"")


# ---- reads against the dlt645 package's server ----


@pytest.fixture
async def library_meter():
    """The `dlt645` package's TCP server as the meter. Its set_address takes a string in line
    order (not the standard's reading order), so the address is given as the bytes on the line."""
    service = AsyncMeterServerService.new_tcp_server("127.0.0.1", 0, timeout=1)
    service.set_address(A)
    service.set_00(0x00010000, 1234.56)
    service.set_04(0x04000503, "0000")
    await service.start()
    yield service
    await service.stop()


def meter_at(port: int, address: str = ADDRESS, secret: str = SECRET, timeout: float = 1.0, **kwargs):
    password, operator = parse_secret(secret) if secret else (None, None)
    return Dlt645Meter(f"127.0.0.1:{port}", address, password=password, operator=operator, timeout=timeout, **kwargs)


async def test_the_total_forward_active_energy_is_read_in_thousandths_from_the_library_meter(library_meter):
    meter = meter_at(library_meter.server.port)
    try:
        read = await meter.read()
        assert (read.status.state, read.raw_milli, read.problem) == (DeviceState.OK, 1_234_560, "")
        assert library_meter.set_00(0x00010000, 799999.99)  # the library's largest
        assert (await meter.read()).raw_milli == 799_999_990
    finally:
        await meter.close()


async def test_status_word_3_gives_the_relay_and_the_protected_state_from_the_library_meter(library_meter):
    meter = meter_at(library_meter.server.port)
    try:
        closed = await meter.read_switch()
        assert (closed.status.state, closed.on, closed.protected) == (DeviceState.OK, True, False)
        # bit 4 relay open, bit 12 保电
        library_meter.set_04(0x04000503, "1010")
        tripped = await meter.read_switch()
        assert (tripped.on, tripped.protected) == (False, True)
        library_meter.set_04(0x04000503, "1000")
        assert (await meter.read_switch()).on is True
    finally:
        await meter.close()


async def test_an_abnormal_answer_is_an_error_with_the_meters_error_word(library_meter):
    # The library answers a frame for another address with an abnormal answer, error word 01H.
    meter = meter_at(library_meter.server.port, address="123456789013")
    try:
        read = await meter.read()
        assert read.status.state is DeviceState.ERROR and read.raw_milli is None
        assert "其他错误，错误字 01H" in read.problem
    finally:
        await meter.close()


# ---- the control, on the wire and against the simulator ----


class RecordingGateway:
    """Records the bytes that arrive and answers each frame with `answer`."""

    def __init__(self, answer: bytes):
        self.answer = answer
        self.received = b""

    async def start(self):
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader, writer):
        while chunk := await reader.read(256):
            self.received += chunk
            if self.received.endswith(b"\x16"):
                writer.write(b"\xfe\xfe" + self.answer)
        writer.close()

    async def stop(self):
        self._server.close()


async def test_the_trip_sent_on_the_line_is_the_hand_worked_frame_after_wake_up_bytes():
    gateway = await RecordingGateway(CONTROL_DONE).start()
    meter = meter_at(gateway.port, clock=lambda: FIXED)  # valid for 10 minutes: until 12:15:09
    try:
        assert (await meter.switch(False)).state is DeviceState.OK
        assert gateway.received == b"\xfe\xfe\xfe\xfe" + TRIP_FRAME
    finally:
        await meter.close()
        await gateway.stop()


async def test_a_refused_control_is_an_error_with_the_reason():
    gateway = await RecordingGateway(CONTROL_REFUSED).start()
    meter = meter_at(gateway.port, clock=lambda: FIXED)
    try:
        status = await meter.switch(True)
        assert status.state is DeviceState.ERROR and "密码错误或未授权，错误字 04H" in status.message
        assert gateway.received == b"\xfe\xfe\xfe\xfe" + DIRECT_CLOSE_FRAME
    finally:
        await meter.close()
        await gateway.stop()


async def test_a_close_is_sent_as_the_hand_worked_direct_close_or_for_a_permit_model_close_allowed():
    for close, frame in ((CLOSE_DIRECT, DIRECT_CLOSE_FRAME), (CLOSE_PERMIT, PERMIT_CLOSE_FRAME)):
        gateway = await RecordingGateway(CONTROL_DONE).start()
        meter = meter_at(gateway.port, clock=lambda: FIXED, close=close)
        try:
            status = await meter.switch(True)
            assert status.state is DeviceState.OK
            assert ("按电表按键" in status.message) is (close == CLOSE_PERMIT)
            assert gateway.received == b"\xfe\xfe\xfe\xfe" + frame
        finally:
            await meter.close()
            await gateway.stop()


@pytest.fixture
async def gateway():
    sim = await Dlt645MeterSim({ADDRESS: SimMeter(milli=1_234_560), "000000000002": SimMeter(milli=20)}).start()
    yield sim
    await sim.stop()


async def test_a_trip_cuts_the_simulated_meter_and_reads_back_and_a_close_restores_it(gateway):
    meter = meter_at(gateway.port)
    try:
        assert (await meter.switch(False)).state is DeviceState.OK
        assert (await meter.read_switch()).on is False and gateway.meters[ADDRESS].on is False
        assert (await meter.switch(True)).state is DeviceState.OK
        assert (await meter.read_switch()).on is True
        assert gateway.controls == [(ADDRESS, TRIP, "00000001", True), (ADDRESS, CLOSE_DIRECT, "00000001", True)]
    finally:
        await meter.close()


async def test_a_permit_model_is_allowed_to_close_and_closes_only_when_the_button_is_pressed(gateway):
    meter = meter_at(gateway.port, close=CLOSE_PERMIT)
    sim = gateway.meters[ADDRESS]
    try:
        assert (await meter.switch(False)).state is DeviceState.OK
        assert (await meter.switch(True)).state is DeviceState.OK
        assert (await meter.read_switch()).on is False and sim.on is False and sim.close_permitted
        assert sim.press_button() is True
        assert (await meter.read_switch()).on is True
        assert gateway.controls[-1] == (ADDRESS, CLOSE_PERMIT, "00000001", True)
    finally:
        await meter.close()


async def test_a_meter_without_direct_close_refuses_it_and_stays_open(gateway):
    sim = gateway.meters[ADDRESS]
    sim.direct_close = False
    sim.on = False
    meter = meter_at(gateway.port)
    try:
        status = await meter.switch(True)
        assert status.state is DeviceState.ERROR and "其他错误" in status.message
        assert (await meter.read_switch()).on is False and sim.press_button() is False
        assert gateway.controls == [(ADDRESS, CLOSE_DIRECT, "00000001", False)]
    finally:
        await meter.close()


async def test_a_wrong_password_is_refused_and_the_relay_stays_closed(gateway):
    meter = meter_at(gateway.port, secret="02654321:00000001")
    try:
        status = await meter.switch(False)
        assert status.state is DeviceState.ERROR and "密码错误" in status.message
        assert gateway.meters[ADDRESS].on is True
    finally:
        await meter.close()


async def test_a_protected_meter_refuses_to_trip_and_says_so_in_status_word_3(gateway):
    gateway.meters[ADDRESS].protected = True
    meter = meter_at(gateway.port)
    try:
        assert (await meter.read_switch()).protected is True
        assert (await meter.switch(False)).state is DeviceState.ERROR
        assert gateway.meters[ADDRESS].on is True
    finally:
        await meter.close()


async def test_a_command_past_its_deadline_is_ignored_by_the_meter(gateway):
    # Sent by a master whose clock is a day behind: its deadline has passed by the meter's clock.
    meter = meter_at(gateway.port, clock=lambda: beijing_now() - timedelta(days=1))
    try:
        assert (await meter.switch(False)).state is DeviceState.ERROR
        assert gateway.meters[ADDRESS].on is True
        assert gateway.controls == [(ADDRESS, TRIP, "00000001", False)]
    finally:
        await meter.close()


async def test_without_a_password_nothing_is_sent(gateway):
    meter = meter_at(gateway.port, secret="")
    try:
        status = await meter.switch(False)
        assert status.state is DeviceState.ERROR and "没有设置控制密码" in status.message
        assert gateway.controls == []
    finally:
        await meter.close()


async def test_meters_behind_one_gateway_are_asked_one_at_a_time_and_each_gets_its_answer(gateway):
    meters = [meter_at(gateway.port), meter_at(gateway.port, address="000000000002")]
    try:
        reads = await asyncio.gather(*(m.read() for m in meters * 5))
        assert [r.raw_milli for r in reads] == [1_234_560, 20] * 5
    finally:
        for m in meters:
            await m.close()


# ---- lines that fail ----


async def test_a_meter_the_gateway_does_not_hear_is_disconnected_within_the_timeout(gateway):
    meter = meter_at(gateway.port, address="000000000099", timeout=0.2)
    heard = meter_at(gateway.port)
    try:
        started = time.monotonic()
        read = await meter.read()
        assert read.status.state is DeviceState.DISCONNECTED and "0.2 秒内没有应答" in read.problem
        assert time.monotonic() - started < 1.5
        # The line is opened afresh and the next meter is read normally.
        assert (await heard.read()).raw_milli == 1_234_560
    finally:
        await meter.close()
        await heard.close()


async def test_a_gateway_that_refuses_the_connection_is_disconnected(unused_tcp_port):
    meter = meter_at(unused_tcp_port, timeout=0.3)
    read = await meter.read()
    assert read.status.state is DeviceState.DISCONNECTED and "无法连接" in read.problem
    assert (await meter.switch(False)).state is DeviceState.DISCONNECTED


async def test_a_meter_on_a_local_serial_port_is_read_and_switched(tmp_path):
    """The serial line through a pty, the simulator's meter answering on the other end."""
    sim = Dlt645MeterSim({ADDRESS: SimMeter(milli=42_000)})
    controller, device = os.openpty()
    loop = asyncio.get_running_loop()
    received = bytearray()

    def answer_line():
        received.extend(os.read(controller, 256))
        frame, rest = decode_frame(bytes(received))
        if frame is not None:
            received[:] = rest
            reply = sim.answer(frame)
            if reply is not None:
                os.write(controller, reply)

    loop.add_reader(controller, answer_line)
    password, operator = parse_secret(SECRET)
    meter = Dlt645Meter(
        f"serial://{os.ttyname(device)}?baud=2400", ADDRESS, password=password, operator=operator, timeout=2
    )
    try:
        assert (await meter.read()).raw_milli == 42_000
        assert (await meter.switch(False)).state is DeviceState.OK
        assert (await meter.read_switch()).on is False
    finally:
        await meter.close()
        loop.remove_reader(controller)
        os.close(controller)
        os.close(device)


async def test_a_serial_port_that_is_not_there_is_disconnected(tmp_path):
    meter = Dlt645Meter(f"serial://{tmp_path}/ttyUSB9", ADDRESS, timeout=0.5)
    read = await meter.read()
    assert read.status.state is DeviceState.DISCONNECTED and "无法连接" in read.problem
