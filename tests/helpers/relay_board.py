"""A relay board for tests: pymodbus's own Modbus TCP server, recording every coil write."""

from __future__ import annotations

import time

from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

COIL_WRITE = 5  # Modbus function code: write single coil


class RelayBoard:
    """A 16-relay board with 16 inputs (input 0, the gate-closed sensor, is on) at unit id 1."""

    def __init__(self):
        self.coil_writes: list[tuple[int, bool, float]] = []  # (coil, on, monotonic time)
        self.port = 0

    async def start(self) -> RelayBoard:
        bits = [SimData(0, count=16, values=False, datatype=DataType.BITS)]
        inputs = [SimData(0, values=[True] + [False] * 15, datatype=DataType.BITS)]
        registers = [SimData(0, values=0, datatype=DataType.REGISTERS)]
        board = SimDevice(id=1, simdata=(bits, inputs, registers, registers), action=self._record)
        self._server = ModbusTcpServer(board, address=("127.0.0.1", self.port))
        await self._server.serve_forever(background=True)
        self.port = self._server.transport.sockets[0].getsockname()[1]
        return self

    async def _record(self, function_code, start_address, address, count, current_registers, set_values):
        if function_code == COIL_WRITE and set_values is not None:  # (also called to read the coil first)
            self.coil_writes.append((address, set_values[0], time.monotonic()))

    async def stop(self) -> None:
        await self._server.shutdown()
