"""STAND-IN for helper A's meter adapters (dropped at merge): the design's interface, with a
minimal Modbus TCP client so the collector and the switching can be tested against pymodbus's
own server. DL/T 645 meters answer with an error here."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Literal, Protocol

from pymodbus import ModbusException
from pymodbus.client import AsyncModbusTcpClient

from hardware.status import OK, DeviceState, DeviceStatus

_WORDS = {"uint16": 1, "uint32": 2, "int32": 2, "uint64": 4, "float32": 2, "float64": 4}


@dataclass(frozen=True)
class RegisterMap:
    function: str
    address: int
    data_type: str
    word_order: str
    milli_per_count: int | float
    coil: int | None = None

    @classmethod
    def from_dict(cls, raw: Mapping) -> RegisterMap:
        try:
            found = cls(
                function=raw["function"],
                address=int(raw["address"]),
                data_type=raw["data_type"],
                word_order=raw["word_order"],
                milli_per_count=raw["milli_per_count"],
                coil=raw.get("coil"),
            )
        except (KeyError, TypeError, ValueError):
            raise ValueError("寄存器设置不完整") from None
        if found.data_type not in _WORDS or found.function not in ("holding", "input"):
            raise ValueError("寄存器类型不受支持")
        return found

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class MeterRead:
    status: DeviceStatus
    raw_milli: int | None
    problem: str = ""


@dataclass(frozen=True)
class SwitchRead:
    status: DeviceStatus
    on: bool | None
    protected: bool = False


class MeterClient(Protocol):
    async def read(self) -> MeterRead: ...

    async def read_switch(self) -> SwitchRead: ...

    async def switch(self, on: bool) -> DeviceStatus: ...

    async def close(self) -> None: ...


class _ModbusMeter:
    def __init__(self, host: str, port: int, unit: int, register_map: RegisterMap, timeout: float):
        self.unit, self.map = unit, register_map
        self._client = AsyncModbusTcpClient(host, port=port, timeout=timeout, retries=0, reconnect_delay=0)

    async def _call(self, method: str, *args, **kwargs):
        if not self._client.connected and not await self._client.connect():
            return DeviceStatus(DeviceState.DISCONNECTED, "无法连接"), None
        try:
            response = await getattr(self._client, method)(*args, device_id=self.unit, **kwargs)
        except ModbusException:
            self._client.close()
            return DeviceStatus(DeviceState.DISCONNECTED, "无应答"), None
        if response.isError():
            return DeviceStatus(DeviceState.ERROR, f"Modbus 异常 {response.exception_code}"), None
        return OK, response

    async def read(self) -> MeterRead:
        method = "read_holding_registers" if self.map.function == "holding" else "read_input_registers"
        status, response = await self._call(method, self.map.address, count=_WORDS[self.map.data_type])
        if response is None:
            return MeterRead(status, None, status.message)
        data_type = getattr(AsyncModbusTcpClient.DATATYPE, self.map.data_type.upper())
        order: Literal["big", "little"] = "little" if self.map.word_order == "little" else "big"
        value = self._client.convert_from_registers(response.registers, data_type, word_order=order)
        assert isinstance(value, int | float)
        if not math.isfinite(value) or value < 0:
            return MeterRead(DeviceStatus(DeviceState.ERROR, "读数无效"), None, "读数无效（非数值或为负）")
        return MeterRead(OK, round(value * self.map.milli_per_count))

    async def read_switch(self) -> SwitchRead:
        if self.map.coil is None:
            return SwitchRead(DeviceStatus(DeviceState.ERROR, "没有继电器"), None)
        status, response = await self._call("read_coils", self.map.coil)
        return SwitchRead(status, None if response is None else bool(response.bits[0]))

    async def switch(self, on: bool) -> DeviceStatus:
        if self.map.coil is None:
            return DeviceStatus(DeviceState.ERROR, "没有继电器")
        status, _ = await self._call("write_coil", self.map.coil, on)
        return status

    async def close(self) -> None:
        self._client.close()


class _Unsupported:
    async def read(self) -> MeterRead:
        return MeterRead(DeviceStatus(DeviceState.ERROR, "stand-in"), None, "暂不支持")

    async def read_switch(self) -> SwitchRead:
        return SwitchRead(DeviceStatus(DeviceState.ERROR, "stand-in"), None)

    async def switch(self, on: bool) -> DeviceStatus:
        return DeviceStatus(DeviceState.ERROR, "stand-in")

    async def close(self) -> None:
        return None


def open_meter(
    protocol: str,
    endpoint: str,
    device_address: str,
    register_map: Mapping | None,
    secret: str = "",
    timeout: float = 3.0,
) -> MeterClient:
    if protocol != "modbus_tcp" or register_map is None:
        return _Unsupported()
    host, _, port = endpoint.rpartition(":")
    return _ModbusMeter(host, int(port), int(device_address), RegisterMap.from_dict(register_map), timeout)
