"""The real ESC/POS drivers: the bytes sent to a printer over TCP, paper status, unreachable printers."""

import asyncio

import pytest
import usb.backend.libusb1

from hardware.escpos_printer import NetworkEscposPrinter, UsbEscposPrinter
from hardware.status import DeviceState
from tests.hardware.helpers import RECEIPT, eventually

PAPER_STATUS_QUERY = b"\x10\x04\x04"  # DLE EOT 4
PAPER_PLENTY, PAPER_NEAR_END, PAPER_NONE = 0x12, 0x1E, 0x72  # its answers: fixed bits 0x12, near end 0x0C, end 0x60
CUT = (b"\x1dV\x00", b"\x1dV\x01")  # GS V: full or partial cut


class NetworkPrinterStandIn:
    """A TCP peer on 127.0.0.1 that keeps what it is sent and answers the paper query like a printer."""

    def __init__(self, paper: int | None = PAPER_PLENTY):
        self.paper = paper
        self.received = b""
        self.connections = 0
        self.closed = 0
        self.most_at_once = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> "NetworkPrinterStandIn":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.most_at_once = max(self.most_at_once, self.connections - self.closed)
        while data := await reader.read(4096):
            self.received += data
            if PAPER_STATUS_QUERY in data and self.paper is not None:
                writer.write(bytes([self.paper]))
                await writer.drain()
        writer.close()
        self.closed += 1

    async def all_received(self, connections: int = 1) -> bytes:
        """What it was sent, once the driver has closed `connections` connections."""
        await eventually(lambda: self.closed == connections)
        return self.received

    async def stop(self) -> None:
        self._server.close()
        await self._server.wait_closed()


@pytest.fixture
async def printer_standin():
    standin = await NetworkPrinterStandIn().start()
    yield standin
    await standin.stop()


async def test_network_printer_sends_chinese_as_gb18030_in_chinese_mode_and_cuts(printer_standin):
    printer = NetworkEscposPrinter("127.0.0.1", printer_standin.port, width_mm=58)

    result = await printer.print_receipt(RECEIPT)

    assert result.printed and result.status.state is DeviceState.OK
    sent = await printer_standin.all_received()
    assert sent.startswith(PAPER_STATUS_QUERY + b"\x1b@\x1c&")  # then ESC @ (reset), FS & (Chinese mode)
    assert "市机关第一食堂".encode("gb18030") in sent
    assert "午餐                       12.50".encode("gb18030") in sent
    assert "市机关".encode() not in sent
    assert any(cut in sent[-8:] for cut in CUT)


async def test_network_printer_out_of_paper_is_not_sent_the_receipt(printer_standin):
    printer_standin.paper = PAPER_NONE
    printer = NetworkEscposPrinter("127.0.0.1", printer_standin.port, width_mm=80)

    result = await printer.print_receipt(RECEIPT)

    assert not result.printed and result.status.state is DeviceState.PAPER_OUT
    assert await printer_standin.all_received() == PAPER_STATUS_QUERY
    assert (await printer.status()).state is DeviceState.PAPER_OUT


async def test_network_printer_near_the_end_of_its_roll_prints_and_says_so(printer_standin):
    printer_standin.paper = PAPER_NEAR_END
    result = await NetworkEscposPrinter("127.0.0.1", printer_standin.port).print_receipt(RECEIPT)
    assert result.printed and result.status.state is DeviceState.PAPER_LOW


async def test_network_printer_that_never_answers_the_paper_query_still_prints(printer_standin):
    printer_standin.paper = None
    printer = NetworkEscposPrinter("127.0.0.1", printer_standin.port, status_timeout=0.1)

    result = await printer.print_receipt(RECEIPT)

    assert result.printed and result.status.usable
    assert "did not answer" in result.status.message
    assert "市机关第一食堂".encode("gb18030") in await printer_standin.all_received()


async def test_unreachable_network_printer_is_disconnected_not_an_exception(unused_tcp_port):
    printer = NetworkEscposPrinter("127.0.0.1", unused_tcp_port, timeout=0.5)

    result = await printer.print_receipt(RECEIPT)

    assert not result.printed and result.status.state is DeviceState.DISCONNECTED
    assert "127.0.0.1" in result.status.message and "\n" not in result.status.message


async def test_concurrent_receipts_reach_the_printer_one_connection_after_the_other(printer_standin):
    printer = NetworkEscposPrinter("127.0.0.1", printer_standin.port)
    results = await asyncio.gather(*(printer.print_receipt(RECEIPT) for _ in range(3)))
    assert all(result.printed for result in results)
    assert printer_standin.connections == 3 and printer_standin.most_at_once == 1
    assert (await printer_standin.all_received(3)).count("市机关第一食堂".encode("gb18030")) == 3


async def test_absent_usb_printer_is_reported_not_raised():
    result = await UsbEscposPrinter(0x0416, 0x5011, width_mm=58).print_receipt(RECEIPT)

    assert not result.printed
    if usb.backend.libusb1.get_backend() is None:
        assert result.status.state is DeviceState.ERROR and "libusb" in result.status.message
    else:
        assert result.status.state is DeviceState.DISCONNECTED and "0416:5011" in result.status.message
