"""Receipt printers that speak ESC/POS, over the network (TCP 9100) or USB.

python-escpos carries the bytes (connection, DLE EOT paper query, cut). The text itself is sent
as GB18030 in the printer's Chinese mode (FS &), which is how Chinese ESC/POS printers print
Chinese; python-escpos's automatic code pages would send full-width punctuation or ¥ as '?' or
as a single-byte code page character that a Chinese printer reads as half of a Chinese one.
A printer out of paper is asked first and not sent the receipt, which it would otherwise lose.

Importing python-escpos (this module) calls `logging.basicConfig()` and writes a cache of
printer profiles into a new temporary directory (ESCPOS_CAPABILITIES_PICKLE_DIR chooses it):
set up logging with explicit root handlers (or `force=True`). `hardware.uri` imports this
module only for a configuration that names an ESC/POS printer.
"""

from __future__ import annotations

import abc
import asyncio

import usb.core
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy, Network, Usb

from hardware.printer import PAPER_OUT, PrintResult
from hardware.receipt import Receipt, paper_columns, render_receipt
from hardware.status import OK, DeviceState, DeviceStatus

INITIALISE = b"\x1b@"  # ESC @
CHINESE_MODE = b"\x1c&"  # FS &: multi-byte characters from here on

# python-escpos's paper_status(): 2 plenty, 1 near the end, 0 none.
PAPER_STATES = {2: OK, 1: DeviceStatus(DeviceState.PAPER_LOW, "printer paper is running out"), 0: PAPER_OUT}


# Module size of a printed QR code in dots: 6 keeps a pass token (about 300 characters) within
# 58 mm paper and still readable by a gate's scanner.
QR_MODULE_DOTS = 6
ALIGN_CENTRE, ALIGN_LEFT = b"\x1ba\x01", b"\x1ba\x00"  # ESC a


def qr_command(content: str) -> bytes:
    """The printer's own QR code command (GS ( k), centred: the printer draws it sharp at its
    resolution, where a bitmap would be scaled."""
    dummy = Dummy()
    dummy.qr(content, native=True, size=QR_MODULE_DOTS)
    return ALIGN_CENTRE + dummy.output + b"\n" + ALIGN_LEFT


def escpos_document(lines: list[str], qr: str = "") -> bytes:
    """The bytes that print these lines (and the QR code under them, if any), from a freshly
    initialised printer in Chinese mode."""
    text = "".join(f"{line}\n" for line in lines).encode("gb18030", errors="replace")
    return INITIALISE + CHINESE_MODE + text + (qr_command(qr) if qr else b"")


class EscposPrinter(abc.ABC):
    """What network and USB ESC/POS printers share; a subclass says how to connect.

    A connection is opened per receipt or status query and closed after it: nothing goes stale
    while the kiosk is idle, and a printer that was off is simply reached next time.
    """

    def __init__(self, width_mm: int, name: str):
        self.columns = paper_columns(width_mm)
        self.name = name
        self._lock = asyncio.Lock()

    @abc.abstractmethod
    def _connect(self) -> Escpos:
        """An open connection to the printer (blocking); raises if it cannot be reached."""

    async def print_receipt(self, receipt: Receipt) -> PrintResult:
        document = escpos_document(render_receipt(receipt, self.columns), receipt.qr)
        async with self._lock:
            return await asyncio.to_thread(self._session, document)

    async def status(self) -> DeviceStatus:
        async with self._lock:
            return (await asyncio.to_thread(self._session, None)).status

    def _session(self, document: bytes | None) -> PrintResult:
        try:
            printer = self._connect()
        except (EscposError, OSError) as exc:
            return PrintResult(False, DeviceStatus(DeviceState.DISCONNECTED, self._describe(exc)))
        except usb.core.NoBackendError:
            return PrintResult(
                False, DeviceStatus(DeviceState.ERROR, f"{self.name}: no USB library (install libusb-1.0)")
            )
        try:
            status = self._paper(printer)
            if document is None or status.state is DeviceState.PAPER_OUT:
                return PrintResult(False, status)
            printer._raw(document)
            printer.cut()
            return PrintResult(True, status)
        except (EscposError, OSError) as exc:
            return PrintResult(False, DeviceStatus(DeviceState.ERROR, self._describe(exc)))
        finally:
            printer.close()

    def _describe(self, exc: Exception) -> str:
        # python-escpos puts line breaks into its messages; a status is one line.
        return f"{self.name}: {' '.join(str(exc).split())}"

    def _paper(self, printer: Escpos) -> DeviceStatus:
        """The paper sensor's state (DLE EOT 4); OK when the printer does not answer the query."""
        try:
            return PAPER_STATES[printer.paper_status()]
        except (TimeoutError, usb.core.USBTimeoutError):
            return DeviceStatus(DeviceState.OK, f"{self.name}: paper sensor did not answer")


class NetworkEscposPrinter(EscposPrinter):
    def __init__(
        self, host: str, port: int = 9100, width_mm: int = 80, *, timeout: float = 3.0, status_timeout: float = 0.5
    ):
        super().__init__(width_mm, f"printer {host}:{port}")
        self.host, self.port = host, port
        self.timeout = timeout
        # Many printers never answer DLE EOT over the network; waiting the full timeout for that
        # would hold every receipt up.
        self.status_timeout = status_timeout

    def _connect(self) -> Network:
        printer = Network(self.host, self.port, timeout=self.timeout)
        printer.open()
        return printer

    def _paper(self, printer: Network) -> DeviceStatus:
        printer.device.settimeout(self.status_timeout)
        try:
            return super()._paper(printer)
        finally:
            printer.device.settimeout(self.timeout)


class UsbEscposPrinter(EscposPrinter):
    def __init__(self, vendor: int, product: int, width_mm: int = 80, *, timeout_ms: int = 3000):
        super().__init__(width_mm, f"USB printer {vendor:04x}:{product:04x}")
        self.vendor, self.product = vendor, product
        self.timeout_ms = timeout_ms

    def _connect(self) -> Usb:
        printer = Usb(self.vendor, self.product, timeout=self.timeout_ms)
        printer.open()
        return printer
