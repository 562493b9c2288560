"""What kiosk tests share: a network between kiosk and backend that a test controls (the
`kiosk_network` fixture; this module is a pytest plugin), a kiosk's settings, and waiting for
something to become true.

`NetworkLink` is a TCP forwarder between a kiosk and the test backend. Cut: connections are dropped and new ones refused, as when the canteen's network goes down.
`response_delay` holds back every chunk of the backend's answers, so that a kiosk gives up
waiting while the backend has long applied the request (the request still reaches the backend
whole, and the backend's side is not closed because the kiosk gave up).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from kiosk.config import KioskConfig


def kiosk_config(backend_url: str, code: str, secret: str, data_dir: Path, **overrides) -> KioskConfig:
    """A kiosk with simulated devices on a free local port that notices the backend is back
    within a fifth of a second."""
    settings = dict(card_reader="sim", printer="sim", data_dir=data_dir, port=0, retry_seconds=0.2,
                    heartbeat_seconds=1.0, result_seconds=30.0, repeat_ignore_seconds=0.0)
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

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", self.backend_port)
        self._writers |= {client_writer, backend_writer}
        upstream = asyncio.create_task(self._pipe(client_reader, backend_writer, delayed=False))
        try:
            await self._pipe(backend_reader, client_writer, delayed=True)
        finally:
            upstream.cancel()
            for writer in (client_writer, backend_writer):
                writer.transport.abort()
                self._writers.discard(writer)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, delayed: bool) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                if delayed and self.response_delay:  # read each time: it applies to open connections too
                    await asyncio.sleep(self.response_delay)
                writer.write(data)
                await writer.drain()


@pytest.fixture
async def kiosk_network(app):
    """The network between a kiosk and the test backend, up."""
    link = NetworkLink(urlsplit(app.ctx.base_url).port)
    await link.mend()
    yield link
    await link.cut()
