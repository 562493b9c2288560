"""STAND-IN (helper hw writes the real file): simulated meters with the real file's constructors
and start/stop; the servers accept connections but speak no protocol."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from hardware.meters import RegisterMap


class SimMeter:
    def __init__(
        self,
        milli: int = 0,
        load_milli_per_hour: int = 0,
        *,
        on: bool = True,
        protected: bool = False,
        password: str = "02123456",
        speed: float = 1.0,
    ):
        self._since = time.monotonic()
        self._start = milli
        self.load_milli_per_hour = load_milli_per_hour
        self.on, self.protected, self.password, self.speed = on, protected, password, speed

    @property
    def milli(self) -> int:
        hours = (time.monotonic() - self._since) / 3600
        return int(self._start + (self.load_milli_per_hour * hours * self.speed if self.on else 0))


class _Server:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def start(self):
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None


class ModbusMeterSim(_Server):
    def __init__(
        self,
        meters: Mapping[int, SimMeter],
        register_map: RegisterMap | Mapping,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(host, port)
        self.meters = dict(meters)
        self.register_map = (
            register_map if isinstance(register_map, RegisterMap) else RegisterMap.from_dict(register_map)
        )


class Dlt645MeterSim(_Server):
    def __init__(self, meters: Mapping[str, SimMeter], *, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.meters = dict(meters)
