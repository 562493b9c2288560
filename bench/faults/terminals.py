"""Simulated canteen terminals built from the kiosk agent's own parts: its signed client
(kiosk.backend_client), its cashier (kiosk.payments: online first within the deadline, the
offline journal under the same transaction number otherwise), its link (kiosk.sync: the risk
parameters, the journal upload, the heartbeat) and its journal file (kiosk.journal). Only the
card reader is replaced, by a loop that taps a card every TAP_SECONDS or so.

Each terminal reaches nginx through a small TCP proxy of its own, so that scenario 5 can cut one
terminal's network (connections held silent, as a pulled cable leaves them) and restore it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from kiosk.backend_client import BackendClient, Stamps, signature_headers
from kiosk.config import KioskConfig
from kiosk.journal import Journal
from kiosk.payments import Cashier
from kiosk.sync import Link

TAP_SECONDS = float(os.environ.get("FAULTS_TAP_SECONDS", "1.5"))
ZONE = ZoneInfo(KioskConfig.time_zone)
# The agent's own defaults: what a terminal in a canteen does.
ONLINE_DEADLINE = KioskConfig.online_deadline_ms / 1000
RETRY_SECONDS = KioskConfig.retry_seconds
HEARTBEAT_SECONDS = KioskConfig.heartbeat_seconds


class CuttableProxy:
    """127.0.0.1:<port> forwarding to the target; `cut()` drops every connection and holds new
    ones silent (no answer, no refusal) until `restore()`."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = 0
        self.cut_now = False
        self._pipes: set[asyncio.StreamWriter] = set()
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        self.cut_now = True
        for writer in list(self._pipes):
            writer.transport.abort()

    def restore(self) -> None:
        self.cut_now = False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._pipes.add(writer)
        try:
            while self.cut_now:
                await asyncio.sleep(0.2)
                if writer.is_closing():
                    return
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            self._pipes.add(up_writer)
            try:
                await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))
            finally:
                self._pipes.discard(up_writer)
                up_writer.transport.abort()
        except OSError:
            pass
        except asyncio.CancelledError:
            # Only the end of the run cancels a connection's task; ending it quietly keeps
            # asyncio from logging each one.
            return
        finally:
            self._pipes.discard(writer)
            writer.transport.abort()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self.cut()
            await self._server.wait_closed()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.write_eof()


@dataclass
class Answer:
    """What the terminal's screen told a diner: paid, online or offline, and how much."""

    txn_no: str
    offline: bool
    amount_fen: int


@dataclass
class Terminal:
    code: str
    secret: str
    journal_dir: Path
    proxy: CuttableProxy
    cards: list[str]
    tls: ssl.SSLContext
    paid: dict[str, Answer] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.backend = BackendClient(
            f"https://127.0.0.1:{self.proxy.port}",
            self.code,
            self.secret,
            transport=httpx.AsyncHTTPTransport(verify=self.tls),
        )
        self.journal = Journal(self.journal_dir / f"{self.code}.sqlite3")
        self.wake = asyncio.Event()
        self.link = Link(self.backend, self.journal, self.now, self.wake.set)
        self.cashier = Cashier(self.backend, self.journal, self.link, online_deadline=ONLINE_DEADLINE, clock=self.now)

    @staticmethod
    def now() -> datetime:
        return datetime.now(ZONE)

    async def tap(self) -> None:
        result = await self.cashier.pay_by_card(random.choice(self.cards))
        if result["kind"] == "paid":
            self.paid[result["txn_no"]] = Answer(result["txn_no"], result["offline"], result["amount_fen"])
        else:
            self.refused[result["code"]] = self.refused.get(result["code"], 0) + 1

    async def keep_in_step(self) -> None:
        async def status() -> dict:
            return {"online": self.link.online}

        async def nothing() -> None:
            return None

        await self.link.keep_in_step(
            self.wake, status, nothing, heartbeat_seconds=HEARTBEAT_SECONDS, retry_seconds=RETRY_SECONDS
        )

    async def pending(self) -> int:
        return await asyncio.to_thread(self.journal.pending_count)

    async def close(self) -> None:
        await self.backend.aclose()
        await asyncio.to_thread(self.journal.close)


class Fleet:
    """The terminals tapping away; `paused()` holds the taps (the one under way finishes) while
    the books are checked."""

    def __init__(self, terminals: list[Terminal]):
        self.terminals = terminals
        self._tapping = asyncio.Event()
        self._idle = [asyncio.Event() for _ in terminals]
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        for terminal in self.terminals:
            if not await terminal.link.sync_once():
                raise RuntimeError(f"terminal {terminal.code} cannot reach the backend")
        self._tapping.set()
        for i, terminal in enumerate(self.terminals):
            self._tasks.append(asyncio.create_task(self._tap_forever(i, terminal)))
            self._tasks.append(asyncio.create_task(terminal.keep_in_step()))

    async def _tap_forever(self, index: int, terminal: Terminal) -> None:
        await asyncio.sleep(index * TAP_SECONDS / len(self.terminals))
        while True:
            if not self._tapping.is_set():
                self._idle[index].set()
                await self._tapping.wait()
            self._idle[index].clear()
            await terminal.tap()
            await asyncio.sleep(random.uniform(0.5, 1.5) * TAP_SECONDS)

    @contextlib.asynccontextmanager
    async def paused(self):
        self._tapping.clear()
        await asyncio.gather(*(idle.wait() for idle in self._idle))
        try:
            yield
        finally:
            self._tapping.set()

    async def settle(self, timeout: float) -> float:
        """Seconds until every journal is uploaded; raises TimeoutError after `timeout`."""
        started = time.monotonic()
        while True:
            pending = sum([await t.pending() for t in self.terminals])
            if not pending:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"{pending} offline payments still not uploaded after {timeout:.0f} s")
            for terminal in self.terminals:
                terminal.wake.set()
            await asyncio.sleep(0.5)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for terminal in self.terminals:
            await terminal.close()
            await terminal.proxy.close()


@dataclass
class CapturedRequest:
    """A signed device request as it went over the wire once, to be sent again unchanged."""

    url: str
    headers: dict[str, str]


class Probe:
    """A device of its own asking the balance of a card through nginx: whether the service
    answers, and requests to capture and replay."""

    def __init__(self, base_url: str, code: str, secret: str, card: str, tls: ssl.SSLContext):
        self.base_url = base_url
        self.code, self.secret = code, secret
        self.path = "/device/v1/canteen/balance"
        self.query = f"card_uid={card}"
        self.tls = tls
        self.http = httpx.AsyncClient(timeout=5, verify=tls)
        # Signed as a terminal signs: never before the first stamp a new replay epoch accepts.
        self.stamps = Stamps()

    async def _signed(self) -> CapturedRequest:
        await self.stamps.ready()
        headers = signature_headers(
            self.code, self.secret, "GET", self.path, self.query, b"", timestamp=self.stamps.stamp()
        )
        return CapturedRequest(f"{self.base_url}{self.path}?{self.query}", headers)

    async def send(self, request: CapturedRequest) -> int:
        try:
            response = await self.http.get(request.url, headers=request.headers)
        except httpx.HTTPError:
            return 0
        self.stamps.epoch_refusal(response.status_code, response.content)
        return response.status_code

    async def answers(self) -> bool:
        return await self.send(await self._signed()) == 200

    async def capture(self) -> CapturedRequest:
        """A request the service has just accepted once."""
        for _ in range(50):
            request = await self._signed()
            if await self.send(request) == 200:
                return request
            await asyncio.sleep(0.2)
        raise RuntimeError("the probe device's request is not accepted even before the fault")

    async def recovery(self, since: float, limit: float) -> float | None:
        """Seconds from `since` (a monotonic time) until the service answers; None past `limit`."""
        while time.monotonic() - since <= limit:
            if await self.answers():
                return time.monotonic() - since
            await asyncio.sleep(0.2)
        return None

    async def close(self) -> None:
        await self.http.aclose()
