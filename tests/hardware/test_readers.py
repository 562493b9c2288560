"""Card readers and scanners: UID normalisation, the real serial reader on a pty, the simulator."""

import asyncio
import os
from pathlib import Path

import pytest

from hardware.lines import Backoff
from hardware.readers import SerialLineReader, SimulatedReader, UidFormat, scanned_text
from hardware.status import DeviceState
from tests.hardware.helpers import eventually

FAST = Backoff(0.02, 0.1)


def test_hex_uid_is_uppercased_without_separators():
    assert UidFormat()("04:a1:b2:c3") == "04A1B2C3"


def test_lsb_first_uid_is_reversed_into_card_order():
    assert UidFormat(byte_order="lsb")("C3B2A104") == "04A1B2C3"


def test_decimal_uid_of_a_reader_sending_lsb_first():
    assert UidFormat(digits="decimal", byte_order="lsb")("3283263748") == "04A1B2C3"


def test_decimal_uid_is_widened_to_four_bytes_unless_told_otherwise():
    assert UidFormat(digits="decimal")("0000000255") == "000000FF"
    assert UidFormat(digits="decimal", uid_bytes=7)("255") == "000000000000FF"


@pytest.mark.parametrize("line", ["", "04A1-XYZ", "１２３"])
def test_line_that_is_no_hex_uid_is_refused(line):
    with pytest.raises(ValueError):
        UidFormat()(line)


def test_decimal_uid_too_long_for_its_bytes_is_refused():
    with pytest.raises(ValueError, match="does not fit in 4 bytes"):
        UidFormat(digits="decimal", uid_bytes=4)("4294967296")


def test_scanned_text_keeps_the_payload_and_refuses_a_blank_scan():
    assert scanned_text(" 283901234567890123\r") == "283901234567890123"
    with pytest.raises(ValueError):
        scanned_text("  ")


class SerialReaderStandIn:
    """A pseudo-terminal standing in for a USB serial reader, at a stable path as udev gives one."""

    def __init__(self, path: Path):
        self.path = path
        self._fds: tuple[int, int] | None = None

    @property
    def plugged(self) -> bool:
        return self._fds is not None

    def plug(self) -> None:
        self._fds = os.openpty()
        self.path.symlink_to(os.ttyname(self._fds[1]))

    def unplug(self) -> None:
        self.path.unlink()
        for fd in self._fds:
            os.close(fd)
        self._fds = None

    def send(self, data: bytes) -> None:
        os.write(self._fds[0], data)


@pytest.fixture
def device(tmp_path):
    device = SerialReaderStandIn(tmp_path / "ttyUSB0")
    device.plug()
    yield device
    if device.plugged:
        device.unplug()


async def read_once(device: SerialReaderStandIn, data: bytes, normalise, baudrate: int = 9600) -> str:
    """What a serial reader on `device` reads when `data` arrives after it has opened the port."""
    reader = SerialLineReader(str(device.path), baudrate, normalise=normalise, backoff=FAST)
    try:
        pending = asyncio.create_task(reader.read())
        await eventually(lambda: reader.status().state is DeviceState.OK)
        device.send(data)
        return await asyncio.wait_for(pending, 2)
    finally:
        await reader.close()


async def test_serial_reader_normalises_lsb_first_uid(device):
    assert await read_once(device, b"C3B2A104\r\n", UidFormat(byte_order="lsb")) == "04A1B2C3"


async def test_serial_reader_skips_noise_and_reads_on(device):
    assert await read_once(device, b"\x02garbage\r\n04A1B2C3\r\n", UidFormat()) == "04A1B2C3"


async def test_serial_scanner_reads_a_pay_code(device):
    assert await read_once(device, b"283901234567890123\r", scanned_text, 115200) == "283901234567890123"


async def test_unplugged_serial_reader_is_disconnected_until_plugged_back(device):
    reader = SerialLineReader(str(device.path), 9600, normalise=UidFormat(), backoff=FAST)
    try:
        tap = asyncio.create_task(reader.read())
        await eventually(lambda: reader.status().state is DeviceState.OK)

        # when: the reader is pulled out (its device node goes away)
        device.unplug()
        # then
        await eventually(lambda: reader.status().state is DeviceState.DISCONNECTED)
        await eventually(lambda: "No such file" in reader.status().message)

        # when: it is plugged back in
        device.plug()
        await eventually(lambda: reader.status().state is DeviceState.OK)
        device.send(b"04A1B2C3\r\n")
        # then
        assert await asyncio.wait_for(tap, 2) == "04A1B2C3"
    finally:
        await reader.close()


async def test_serial_reader_on_a_missing_port_reports_it_and_does_not_raise(tmp_path):
    reader = SerialLineReader(str(tmp_path / "ttyUSB7"), 9600, normalise=UidFormat(), backoff=FAST)
    tap = asyncio.create_task(reader.read())
    try:
        await eventually(lambda: "ttyUSB7" in reader.status().message)
        assert reader.status().state is DeviceState.DISCONNECTED and not tap.done()
    finally:
        tap.cancel()
        await reader.close()


async def test_simulated_reader_delivers_taps_normalised():
    reader = SimulatedReader(normalise=UidFormat(byte_order="lsb"))
    reader.tap("c3b2a104")
    assert await reader.read() == "04A1B2C3"


async def test_simulated_reader_loses_taps_while_unplugged():
    reader = SimulatedReader(normalise=UidFormat())
    reader.unplug()
    reader.tap("01020304")
    assert reader.status().state is DeviceState.DISCONNECTED
    reader.plug()
    reader.tap("04A1B2C3")
    assert reader.status().usable
    assert await reader.read() == "04A1B2C3"
