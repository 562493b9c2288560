"""Gate relays: a relay board spoken to over Modbus TCP, and a simulator.

Opening a gate is a pulse: the gate's coil is switched on for `pulse_ms` and off again, as a
push button would. Inputs of the board (a gate-closed sensor, a manual button) are read as
discrete inputs. A board that refuses the connection or does not answer within `timeout` is
`disconnected`; one that answers with a Modbus exception (a wrong coil or unit id) is `error`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from pymodbus import ModbusException
from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusIOException

from hardware.status import OK, DeviceState, DeviceStatus


@dataclass(frozen=True)
class RelayReading:
    """A coil or input as read: `value` is None when the board could not be read."""

    status: DeviceStatus
    value: bool | None


class GateRelay(Protocol):
    async def open_gate(self) -> DeviceStatus: ...

    async def read_coil(self) -> RelayReading:
        """The gate coil: on while a pulse is under way."""

    async def read_input(self, address: int) -> RelayReading: ...

    async def status(self) -> DeviceStatus: ...

    async def close(self) -> None: ...


class _Fault(Exception):
    def __init__(self, status: DeviceStatus):
        self.status = status


class ModbusGateRelay:
    def __init__(
        self, host: str, port: int = 502, *, unit: int = 1, coil: int = 0, pulse_ms: int = 500, timeout: float = 1.0
    ):
        self.host, self.port = host, port
        self.unit, self.coil, self.pulse_ms, self.timeout = unit, coil, pulse_ms, timeout
        self.name = f"relay {host}:{port} unit {unit}"
        # The client needs a running event loop, so it is made at first use.
        self._client: AsyncModbusTcpClient | None = None
        # One pulse at a time: a second opening during a pulse must not switch the coil off early.
        self._lock = asyncio.Lock()

    async def open_gate(self) -> DeviceStatus:
        async with self._lock:
            # Even when the switch-on times out (the board may have acted on it) or the caller
            # is cancelled mid-pulse, the coil must be switched off again.
            try:
                await self._request("write_coil", self.coil, True)
                await asyncio.sleep(self.pulse_ms / 1000)
            except _Fault as fault:
                return fault.status
            finally:
                status = await self._release_coil()
        return status

    async def read_coil(self) -> RelayReading:
        return await self._read("read_coils", self.coil)

    async def read_input(self, address: int) -> RelayReading:
        return await self._read("read_discrete_inputs", address)

    async def status(self) -> DeviceStatus:
        return (await self.read_coil()).status

    async def close(self) -> None:
        if self._client is not None:
            self._client.close()

    async def _release_coil(self) -> DeviceStatus:
        try:
            await self._request("write_coil", self.coil, False)
        except _Fault as fault:
            # The gate stays energised until the board is reached again: say so plainly.
            return DeviceStatus(DeviceState.ERROR, f"coil {self.coil} may still be on: {fault.status.message}")
        return OK

    async def _read(self, method: str, address: int) -> RelayReading:
        try:
            response = await self._request(method, address)
        except _Fault as fault:
            return RelayReading(fault.status, None)
        return RelayReading(OK, response.bits[0])

    async def _request(self, method: str, address: int, *values: bool):
        if self._client is None:
            self._client = AsyncModbusTcpClient(
                self.host, port=self.port, timeout=self.timeout, retries=0, reconnect_delay=0
            )
        if not self._client.connected and not await self._client.connect():
            raise _Fault(DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}: cannot connect"))
        try:
            response = await getattr(self._client, method)(address, *values, device_id=self.unit)
        except ModbusException as exc:
            # Start afresh next time: a late answer to a timed-out request would otherwise be read
            # as the answer to the next one.
            self._client.close()
            problem = f"no answer within {self.timeout} s" if isinstance(exc, ModbusIOException) else str(exc)
            raise _Fault(DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}: {problem}")) from None
        if response.isError():
            raise _Fault(DeviceStatus(DeviceState.ERROR, f"{self.name}: Modbus exception {response.exception_code}"))
        return response


class SimulatedGateRelay:
    """A relay for tests and demos: `openings` counts pulses; `inputs` holds the board's inputs."""

    def __init__(self, pulse_ms: int = 500):
        self.pulse_ms = pulse_ms
        self.openings = 0
        self.coil = False
        self.inputs: dict[int, bool] = {}
        self._plugged = True

    def unplug(self) -> None:
        self._plugged = False

    def plug(self) -> None:
        self._plugged = True

    async def open_gate(self) -> DeviceStatus:
        status = await self.status()
        if status.usable:
            self.coil = True
            await asyncio.sleep(self.pulse_ms / 1000)
            self.coil = False
            self.openings += 1
        return status

    async def read_coil(self) -> RelayReading:
        return await self._reading(self.coil)

    async def read_input(self, address: int) -> RelayReading:
        return await self._reading(self.inputs.get(address, False))

    async def status(self) -> DeviceStatus:
        return OK if self._plugged else DeviceStatus(DeviceState.DISCONNECTED, "simulated relay unplugged")

    async def close(self) -> None:
        self._plugged = False

    async def _reading(self, value: bool) -> RelayReading:
        status = await self.status()
        return RelayReading(status, value if status.usable else None)
