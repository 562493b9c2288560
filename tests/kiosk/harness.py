"""What kiosk tests share: a network between kiosk and backend that a test controls (the
`kiosk_network` fixture; this module is a pytest plugin), the agent and the backend as processes
a test can stop and kill, a kiosk's settings, and waiting for something to become true.

`NetworkLink` is a TCP forwarder between a kiosk and the test backend. Cut: connections are
dropped and new ones refused, as when the canteen's network goes down.
`response_delay` holds back every chunk of the backend's answers, so that a kiosk gives up
waiting while the backend has long applied the request (the request still reaches the backend
whole, and the backend's side is not closed because the kiosk gave up). `hold_answers_to` holds
back the answer to one kind of request until `release_answers`, however long, so that a test
can kill the kiosk between the backend applying a request and the kiosk hearing so.

`AgentProcess` is `python -m kiosk --sim`, `BackendProcess` is `houqin serve` on the test
database: each can be stopped, killed with SIGKILL and started again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import inspect
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from backend.core.config import Settings
from kiosk.config import KioskConfig, load_config
from tests.conftest import _free_port as free_port


def kiosk_config(backend_url: str, code: str, secret: str, data_dir: Path, **overrides) -> KioskConfig:
    """A kiosk with simulated devices on a free local port that notices the backend is back
    within a fifth of a second."""
    settings = dict(
        card_reader="sim",
        printer="sim",
        data_dir=data_dir,
        port=0,
        retry_seconds=0.2,
        heartbeat_seconds=1.0,
        result_seconds=30.0,
        repeat_ignore_seconds=0.0,
    )
    return KioskConfig(backend_url, code, secret, **{**settings, **overrides})


async def eventually(check: Callable[[], object], timeout: float = 10.0, what: str = "condition"):
    """Wait until `check()` (a plain or an async function) gives something true, and return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class NetworkLink:
    def __init__(self, backend_port: int):
        self.backend_port = backend_port
        self.port = 0
        self.response_delay = 0.0
        self._held_request: bytes | None = None
        self._released = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def mend(self) -> None:
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    def hold_answers_to(self, method: str, path: str) -> None:
        """From now on, the backend's answer to a `method path` request (and whatever follows it
        on that connection) waits in the link until `release_answers`."""
        self._held_request = f"{method} {path} ".encode()
        self._released.clear()

    def release_answers(self) -> None:
        self._held_request = None
        self._released.set()

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        self._writers |= {client_writer, backend_writer}
        holding = asyncio.Event()  # this connection carried a request whose answer is held
        upstream = asyncio.create_task(self._pipe(client_reader, backend_writer, holding, answers=False))
        try:
            await self._pipe(backend_reader, client_writer, holding, answers=True)
        finally:
            upstream.cancel()
            for writer in (client_writer, backend_writer):
                writer.transport.abort()
                self._writers.discard(writer)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, holding: asyncio.Event, *, answers: bool
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if not answers and self._held_request and data.startswith(self._held_request):
                    # HTTP/1.1 without pipelining: what the backend sends next answers this request.
                    holding.set()
                if answers and self.response_delay:  # read each time: it applies to open connections too
                    await asyncio.sleep(self.response_delay)
                if answers and holding.is_set():
                    await self._released.wait()
                writer.write(data)
                await writer.drain()


def wait_for_exit(process: subprocess.Popen, signum: int) -> int:
    """Send `signum` to the process and wait for it to end; its exit code."""
    process.send_signal(signum)
    return process.wait(timeout=20)


class AgentProcess:
    """`python -m kiosk --sim` as its own process, driven through its simulator routes."""

    def __init__(self, backend_url: str, code: str, secret: str, data_dir: Path):
        self.port = free_port()
        self.env = {
            **os.environ,
            "KIOSK_BACKEND_URL": backend_url,
            "KIOSK_DEVICE_CODE": code,
            "KIOSK_DEVICE_SECRET": secret,
            "KIOSK_DATA_DIR": str(data_dir),
            "KIOSK_PORT": str(self.port),
            "KIOSK_RETRY_SECONDS": "0.2",
            "KIOSK_HEARTBEAT_SECONDS": "1",
            "KIOSK_REPEAT_IGNORE_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
        self.journal_path = load_config(self.env, simulate=True).journal_path
        self.process: subprocess.Popen | None = None
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "kiosk", "--sim"], env=self.env)

    def kill(self) -> None:
        assert wait_for_exit(self.process, signal.SIGKILL) == -signal.SIGKILL

    def stop(self) -> int:
        return wait_for_exit(self.process, signal.SIGTERM)

    def kill_if_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()

    async def status(self) -> dict | None:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{self.base}/api/status") as response:
                return await response.json()
        except aiohttp.ClientError:
            return None

    async def status_where(self, check, what: str) -> dict:
        async def matching():
            status = await self.status()
            return status if status is not None and check(status) else None

        return await eventually(matching, timeout=15, what=what)

    async def tap(
        self, card_uid: str, *, kill_when_shown: bool = False, delivered: asyncio.Event | None = None
    ) -> dict:
        """Tap a card on the simulated reader; the result the screen is sent. With
        `kill_when_shown` the agent is killed (SIGKILL) the moment the screen gets it; `delivered`
        is set once the agent has the card."""
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{self.base}/ws") as screen:
            assert (await screen.receive_json())["type"] == "state"
            async with http.post(f"{self.base}/sim/card", json={"uid": card_uid}) as response:
                assert response.status == 202
            if delivered is not None:
                delivered.set()
            while (event := await asyncio.wait_for(screen.receive_json(), 10))["type"] != "result":
                pass
            if kill_when_shown:
                self.kill()
            return event

    @contextlib.contextmanager
    def journal_locked(self):
        """Another writer holds the journal file, as a disk that has not finished the last write
        would: the agent's next append waits (up to sqlite3's five seconds) until this ends."""
        with contextlib.closing(sqlite3.connect(self.journal_path, isolation_level=None)) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield
            finally:
                db.execute("ROLLBACK")

    def journal(self) -> dict[str, str | None]:
        """The journal file as the next start of the agent finds it: each entry's transaction
        number and the backend's answer to its upload (None while not uploaded)."""
        with contextlib.closing(sqlite3.connect(self.journal_path)) as db:
            return dict(db.execute("SELECT txn_no, upload_result FROM offline_payment ORDER BY seq"))


class BackendProcess:
    """The backend as its own process (`houqin serve`) on the test's database: stopped, nothing
    listens on its port until it is started again.

    It runs as one process with its own in-memory Redis, whatever the tests' REDIS_URL: with
    Redis, `houqin serve` starts Sanic's worker manager, which was seen to hang on a SIGTERM sent
    just after its worker first answered. The payments and the ledger are in the database."""

    def __init__(self, settings: Settings):
        self.url = f"http://127.0.0.1:{free_port()}"
        self.env = {
            **os.environ,
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": "",
            "HOUQIN_DATA_KEY": base64.b64encode(settings.data_key).decode(),
            "HOUQIN_VAR_DIR": str(settings.var_dir),
            "PORT": str(urlsplit(self.url).port),
            "LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen | None = None

    async def answers(self) -> bool:
        try:
            async with aiohttp.ClientSession() as http, http.get(f"{self.url}/ready") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def start(self) -> None:
        """Start it and wait until it answers."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "backend.cli", "serve"], env=self.env, stdout=subprocess.DEVNULL
        )

        async def up() -> bool:
            assert self.process.poll() is None, f"the backend exited with {self.process.returncode}"
            return await self.answers()

        await eventually(up, timeout=30, what="the backend to start")

    async def stop(self) -> None:
        assert await asyncio.to_thread(wait_for_exit, self.process, signal.SIGTERM) == 0
        assert not await self.answers(), "something still answers on the stopped backend's port"

    async def stop_if_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            await self.stop()


@pytest.fixture
async def kiosk_network(app):
    """The network between a kiosk and the test backend, up."""
    link = NetworkLink(urlsplit(app.ctx.base_url).port)
    await link.mend()
    yield link
    link.release_answers()
    await link.cut()
