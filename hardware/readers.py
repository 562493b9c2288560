"""Card readers and QR/barcode scanners: what they deliver, over a serial port, and simulated.

A card reader delivers card UIDs and a scanner delivers the scanned text (a dynamic pay code, a
visitor pass); both are an `InputReader` and differ only in how a line is normalised:
`UidFormat` for card readers, `scanned_text` for scanners. Keyboard-wedge (USB HID) devices are
in `hardware.wedge`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import serial

from hardware.lines import Backoff, LineReader, LineSplitter
from hardware.status import OK, DeviceState, DeviceStatus


class InputReader(Protocol):
    async def read(self) -> str:
        """The next normalised card UID or scanned text; waits for it."""

    def status(self) -> DeviceStatus: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class UidFormat:
    """How a card reader writes a UID, so that every reader yields the same normal form.

    The normal form is the card's UID bytes in the order the card reports them, as uppercase
    hex ("04A1B2C3"). Readers differ: some send the bytes reversed (`byte_order="lsb"`), some send
    the UID as a decimal number ("3283263748", `digits="decimal"`, read as the bytes in the
    order given by `byte_order`). A decimal number carries no length, so it is widened to
    `uid_bytes` (by default the fewest bytes that hold it, at least the 4 of a Mifare Classic).
    """

    digits: Literal["hex", "decimal"] = "hex"
    byte_order: Literal["msb", "lsb"] = "msb"
    uid_bytes: int | None = None

    def __post_init__(self):
        if self.digits not in ("hex", "decimal"):
            raise ValueError(f"UID digits must be hex or decimal, not {self.digits!r}")
        if self.byte_order not in ("msb", "lsb"):
            raise ValueError(f"UID byte order must be msb or lsb, not {self.byte_order!r}")

    def __call__(self, line: str) -> str:
        uid = self._uid_bytes(line.strip())
        return (uid[::-1] if self.byte_order == "lsb" else uid).hex().upper()

    def _uid_bytes(self, text: str) -> bytes:
        if self.digits == "decimal":
            if not text.isascii() or not text.isdigit():
                raise ValueError(f"not a decimal card UID: {text!r}")
            number = int(text)
            length = self.uid_bytes or max(4, (number.bit_length() + 7) // 8)
            try:
                return number.to_bytes(length, "big")
            except OverflowError:
                raise ValueError(f"card UID {text} does not fit in {length} bytes") from None
        digits = text.replace(":", "").replace("-", "").replace(" ", "")
        try:
            uid = bytes.fromhex(digits if len(digits) % 2 == 0 else "0" + digits)
        except ValueError:
            raise ValueError(f"not a hex card UID: {text!r}") from None
        if not uid:
            raise ValueError("empty card UID")
        return uid


def scanned_text(line: str) -> str:
    """A scanner's payload as scanned, without the surrounding whitespace."""
    text = line.strip()
    if not text:
        raise ValueError("empty scan")
    return text


class _SerialLines:
    def __init__(self, port_url: str, baudrate: int, encoding: str):
        # exclusive: a second process (a stray copy of the kiosk agent) must not steal taps.
        self._port = serial.serial_for_url(port_url, baudrate=baudrate, timeout=0, exclusive=True)
        self._encoding = encoding
        self._splitter = LineSplitter()

    def read_lines(self, timeout: float) -> list[str]:
        self._port.timeout = timeout
        data = self._port.read(max(1, self._port.in_waiting))
        return [line.decode(self._encoding, "replace") for line in self._splitter.feed(data)]

    def close(self) -> None:
        self._port.close()


class SerialLineReader(LineReader):
    """A reader or scanner on a serial port that sends one line per card or scan.

    `port_url` is a device path (prefer a stable /dev/serial/by-id/... name, which survives
    replugging) or any pyserial URL. When the port disappears the status turns `disconnected`
    and the port is reopened with backoff until it is back.
    """

    def __init__(
        self,
        port_url: str,
        baudrate: int = 9600,
        *,
        normalise: Callable[[str], str],
        encoding: str = "utf-8",
        backoff: Backoff = Backoff(),
    ):
        super().__init__(
            lambda: _SerialLines(port_url, baudrate, encoding), normalise, name=f"serial {port_url}", backoff=backoff
        )


class SimulatedReader:
    """A reader for tests and demos: `tap()` delivers a line as the device would send it."""

    def __init__(self, *, normalise: Callable[[str], str]):
        self._normalise = normalise
        self._items: asyncio.Queue[str] = asyncio.Queue()
        self._plugged = True

    def tap(self, line: str) -> None:
        """A card tapped (or a code scanned); lost while unplugged, like on a real reader.

        Raises ValueError for a line the real reader would skip, so that a test learns of it.
        """
        value = self._normalise(line)
        if self._plugged:
            self._items.put_nowait(value)

    def unplug(self) -> None:
        self._plugged = False

    def plug(self) -> None:
        self._plugged = True

    async def read(self) -> str:
        return await self._items.get()

    def status(self) -> DeviceStatus:
        return OK if self._plugged else DeviceStatus(DeviceState.DISCONNECTED, "simulated reader unplugged")

    async def close(self) -> None:
        self._plugged = False
