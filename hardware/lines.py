"""The line-reading machinery that card readers and QR/barcode scanners share.

Both kinds of device deliver one line of text per card tap or scan, over a serial port or as
typed keys (keyboard wedge). A `LineSource` is the blocking, device-specific part: it is opened,
read with a timeout and closed, and raises OSError when the device goes away. `LineReader` turns
any such source into an asyncio reader: the blocking calls run in worker threads, lines are
normalised (a card UID, a scanned payload) and queued, and a lost device is reopened with
backoff while `status()` says what is wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from hardware.status import OK, DeviceState, DeviceStatus

log = logging.getLogger(__name__)

# How long one blocking read waits before returning empty: it bounds how late `close()` takes effect.
POLL_SECONDS = 0.2


class LineSource(Protocol):
    def read_lines(self, timeout: float) -> list[str]:
        """Block up to `timeout` seconds; return the lines completed meanwhile (maybe none).

        Raises OSError when the device has gone away.
        """

    def close(self) -> None: ...


class LineSplitter:
    """Cuts a byte stream into lines ending in CR, LF or CRLF; empty lines are dropped."""

    # Noise without any line end (a wrong baud rate) must not grow without bound on a kiosk that
    # runs for months; no card UID or pay code comes near this length.
    MAX_PENDING = 4096

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> list[bytes]:
        *lines, self._pending = re.split(rb"[\r\n]", self._pending + data)
        if len(self._pending) > self.MAX_PENDING:
            self._pending = b""
        return [line for line in lines if line]


@dataclass(frozen=True)
class Backoff:
    """Delays between reconnection attempts: doubling from `first` up to `longest` seconds."""

    first: float = 0.5
    longest: float = 10.0

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(delay * 2, self.longest)


class LineReader:
    """An input reader over a line source that may come and go (unplugged, replugged).

    Reading starts with the first `read()`. A line that `normalise` rejects with ValueError
    (noise, a partial UID) is logged and skipped.
    """

    def __init__(
        self,
        open_source: Callable[[], LineSource],
        normalise: Callable[[str], str],
        *,
        name: str,
        backoff: Backoff = Backoff(),
    ):
        self.name = name
        self._open_source = open_source
        self._normalise = normalise
        self._backoff = backoff
        self._items: asyncio.Queue[str] = asyncio.Queue()
        self._status = DeviceStatus(DeviceState.DISCONNECTED, f"{name}: not opened yet")
        self._closing = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def read(self) -> str:
        """The next normalised line; waits for it."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"read {self.name}")
        return await self._items.get()

    def status(self) -> DeviceStatus:
        return self._status

    async def close(self) -> None:
        self._closing.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        delays = self._backoff.delays()
        while not self._closing.is_set():
            try:
                source = await asyncio.to_thread(self._open_source)
            except Exception as exc:
                self._status = self._fault(exc)
                await self._pause(next(delays))
                continue
            self._status = OK
            delays = self._backoff.delays()
            try:
                await self._pump(source)
            # This loop supervises a device for the kiosk's whole life: whatever a driver raises
            # becomes the reader's status (and the log), and the device is opened again.
            except Exception as exc:
                self._status = self._fault(exc)
            finally:
                source.close()
        self._status = DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}: closed")

    async def _pump(self, source: LineSource) -> None:
        while not self._closing.is_set():
            for line in await asyncio.to_thread(source.read_lines, POLL_SECONDS):
                try:
                    self._items.put_nowait(self._normalise(line))
                except ValueError as exc:
                    log.warning("%s: ignored a line: %s", self.name, exc)

    def _fault(self, exc: Exception) -> DeviceStatus:
        if isinstance(exc, OSError):
            return DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}: {exc}")
        log.exception("%s failed", self.name)
        return DeviceStatus(DeviceState.ERROR, f"{self.name}: {type(exc).__name__}: {exc}")

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)
