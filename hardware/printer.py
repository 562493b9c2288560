"""Receipt printers: the interface the kiosk prints through, and a simulator.

Printing never raises into the kiosk: every outcome is a `PrintResult` whose status says what
is wrong (out of paper, unreachable). The real ESC/POS drivers are in `hardware.escpos_printer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hardware.receipt import Receipt, paper_columns, render_receipt
from hardware.status import OK, DeviceState, DeviceStatus

PAPER_OUT = DeviceStatus(DeviceState.PAPER_OUT, "printer is out of paper")


@dataclass(frozen=True)
class PrintResult:
    printed: bool
    status: DeviceStatus


class ReceiptPrinter(Protocol):
    async def print_receipt(self, receipt: Receipt) -> PrintResult: ...

    async def status(self) -> DeviceStatus: ...


class SimulatedPrinter:
    """A printer for tests and demos: `receipts` holds each printed receipt as its text lines, and
    `qr_codes` the content of each QR code printed, in order."""

    def __init__(self, width_mm: int = 80):
        self.columns = paper_columns(width_mm)
        self.receipts: list[list[str]] = []
        self.qr_codes: list[str] = []
        self.paper_out = False
        self._plugged = True

    def unplug(self) -> None:
        self._plugged = False

    def plug(self) -> None:
        self._plugged = True

    async def print_receipt(self, receipt: Receipt) -> PrintResult:
        status = await self.status()
        if status.state is not DeviceState.OK:
            return PrintResult(False, status)
        self.receipts.append(render_receipt(receipt, self.columns))
        if receipt.qr:
            self.qr_codes.append(receipt.qr)
        return PrintResult(True, status)

    async def status(self) -> DeviceStatus:
        if not self._plugged:
            return DeviceStatus(DeviceState.DISCONNECTED, "simulated printer unplugged")
        return PAPER_OUT if self.paper_out else OK
