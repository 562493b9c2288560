"""Energy meters as the collector sees them: one poll's answer, the supply relay, and one way to
open any meter whatever it speaks.

Two kinds are spoken to: Modbus TCP meters, read through a register map per meter model
(`RegisterMap`, stored with the model), and DL/T 645-2007 meters on an RS-485 line, reached
through a serial-to-TCP gateway or a local serial port. Every call answers with a value, never an
exception: a meter that does not answer is `disconnected`; one that answers but refuses, or
answers something that cannot be a cumulative register (NaN, negative, the "no data" mark), is
`error`, with the problem in Chinese (the console shows it as the meter's communication state).

Values are integer thousandths of the meter's unit (Wh for kWh, litres for m³), as read from the
register, before any CT multiplier.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from hardware.status import DeviceStatus

FUNCTIONS = ("holding", "input")
DATA_TYPES = ("uint16", "uint32", "int32", "uint64", "float32", "float64")
WORD_ORDERS = ("big", "little")
PROTOCOLS = ("modbus_tcp", "dlt645")

# Register words and struct format of each data type (Modbus registers are big-endian words).
_LAYOUT = {
    "uint16": (1, ">H"),
    "uint32": (2, ">I"),
    "int32": (2, ">i"),
    "uint64": (4, ">Q"),
    "float32": (2, ">f"),
    "float64": (4, ">d"),
}
# What meters answer for "no value" (the SunSpec convention most meter makers follow): all ones for
# unsigned registers, the smallest number for signed ones. Such a register is no reading.
_NO_DATA = {
    "uint16": 0xFFFF,
    "uint32": 0xFFFF_FFFF,
    "int32": -0x8000_0000,
    "uint64": 0xFFFF_FFFF_FFFF_FFFF,
}
# A register above this (10^12 kWh) is no meter's: refused rather than stored.
MAX_MILLI = 10**15

_FIELDS = ("function", "address", "data_type", "word_order", "milli_per_count", "coil")


def _whole(raw: Mapping, key: str, least: int, most: int, label: str) -> int:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not least <= value <= most:
        raise ValueError(f"{label}（{key}）必须是 {least} 到 {most} 的整数")
    return value


@dataclass(frozen=True)
class RegisterMap:
    """Where a Modbus meter model keeps its cumulative register, and its relay coil (on = supplied)."""

    function: str
    address: int
    data_type: str
    word_order: str
    milli_per_count: int | float
    """Thousandths of the unit per register count: 0.01 kWh -> 10, 1 Wh -> 1, 0.1 m³ -> 100."""
    coil: int | None = None

    @classmethod
    def from_dict(cls, raw: Mapping) -> RegisterMap:
        """The map as stored with a meter model; ValueError with the problem in Chinese."""
        if not isinstance(raw, Mapping):
            raise ValueError("寄存器设置必须是一组“名称: 值”")
        unknown = sorted(str(key) for key in raw if key not in _FIELDS)
        if unknown:
            raise ValueError(f"未知的设置项：{'、'.join(unknown)}")
        function = raw.get("function")
        if function not in FUNCTIONS:
            raise ValueError("寄存器类型（function）必须是 holding（保持寄存器）或 input（输入寄存器）")
        data_type = raw.get("data_type")
        if data_type not in DATA_TYPES:
            raise ValueError(f"数据类型（data_type）必须是 {'、'.join(DATA_TYPES)} 之一")
        word_order = raw.get("word_order", "big")
        if word_order not in WORD_ORDERS:
            raise ValueError("字序（word_order）必须是 big（高字在前）或 little（低字在前）")
        words = _LAYOUT[data_type][0]
        address = _whole(raw, "address", 0, 65536 - words, "起始地址")
        scale = raw.get("milli_per_count")
        if (
            isinstance(scale, bool)
            or not isinstance(scale, int | float)
            or not math.isfinite(scale)
            or not 0 < scale <= 10**9
        ):
            raise ValueError("每个计数代表的千分之一单位数（milli_per_count）必须是大于 0 的数，例如 0.01 kWh 填 10")
        coil = None if raw.get("coil") is None else _whole(raw, "coil", 0, 65535, "继电器线圈地址")
        return cls(function, address, data_type, word_order, scale, coil)

    def to_dict(self) -> dict:
        return {
            "function": self.function,
            "address": self.address,
            "data_type": self.data_type,
            "word_order": self.word_order,
            "milli_per_count": self.milli_per_count,
            "coil": self.coil,
        }

    @property
    def words(self) -> int:
        """How many 16-bit registers the value spans."""
        return _LAYOUT[self.data_type][0]

    def to_milli(self, registers: list[int]) -> int:
        """The reading the registers hold, in thousandths; ValueError (Chinese) for garbage."""
        if len(registers) != self.words:
            raise ValueError(f"应答的寄存器个数不对：应为 {self.words} 个，收到 {len(registers)} 个")
        ordered = registers if self.word_order == "big" else list(reversed(registers))
        (count,) = struct.unpack(_LAYOUT[self.data_type][1], b"".join(r.to_bytes(2, "big") for r in ordered))
        if isinstance(count, float) and not math.isfinite(count):
            raise ValueError("读数不是有效数字（NaN 或无穷大），电表可能故障")
        if count == _NO_DATA.get(self.data_type):
            raise ValueError("电表返回“无数据”标记，寄存器没有有效读数")
        if count < 0:
            raise ValueError(f"读数为负数（{count}），累计寄存器不可能为负")
        milli = round(count * self.milli_per_count)
        if milli > MAX_MILLI:
            raise ValueError(f"读数超出合理范围（{count}），请检查寄存器设置")
        return milli

    def to_registers(self, milli: int) -> list[int]:
        """The registers a meter of this model shows for a reading (the inverse of `to_milli`)."""
        count = milli / self.milli_per_count
        if self.data_type.startswith("float"):
            return self._pack(count)
        # An integer register rolls over at its width, as a meter's does.
        bits = 31 if self.data_type == "int32" else 16 * self.words
        return self._pack(int(count) % (1 << bits))

    def garbage_registers(self) -> list[int]:
        """Registers that decode to no reading (NaN for floats, the "no data" mark otherwise)."""
        return self._pack(math.nan if self.data_type.startswith("float") else _NO_DATA[self.data_type])

    def _pack(self, count: int | float) -> list[int]:
        packed = struct.pack(_LAYOUT[self.data_type][1], count)
        registers = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, len(packed), 2)]
        return registers if self.word_order == "big" else list(reversed(registers))


@dataclass(frozen=True)
class MeterRead:
    """One poll's answer: `raw_milli` is the register in thousandths, None unless status is OK."""

    status: DeviceStatus
    raw_milli: int | None
    problem: str = ""
    """Why the answer is unusable (no answer, refused, garbage), in Chinese; empty when OK."""


@dataclass(frozen=True)
class SwitchRead:
    """The supply relay as read back: `on` is None when it could not be read."""

    status: DeviceStatus
    on: bool | None
    protected: bool = False
    """The meter is in its protected state (DL/T 645 保电): it refuses to trip, and must never be cut."""


class MeterClient(Protocol):
    async def read(self) -> MeterRead: ...

    async def read_switch(self) -> SwitchRead: ...

    async def switch(self, on: bool) -> DeviceStatus:
        """Sends the command once (no retry: the caller confirms with `read_switch`)."""

    async def close(self) -> None: ...


def host_and_port(endpoint: str) -> tuple[str, int]:
    """An endpoint written host:port (an IPv6 host in brackets); ValueError in Chinese."""
    try:
        parts = urlsplit(f"//{endpoint}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host = port = None
    if not host or not port or parts.path or parts.query or parts.username:
        raise ValueError(f"地址“{endpoint}”应写作“主机:端口”，例如 10.0.0.9:502")
    return host, port


def open_meter(
    protocol: str,
    endpoint: str,
    device_address: str,
    register_map: Mapping | None,
    secret: str = "",
    timeout: float = 3.0,
) -> MeterClient:
    """A client for one meter; nothing is sent until it is used. ValueError (Chinese) when the
    meter's settings cannot be a meter of that protocol.

    protocol "modbus_tcp": `endpoint` "host:port", `device_address` the unit id (1-247),
    `register_map` the model's `RegisterMap` as a dict. protocol "dlt645": `endpoint` "host:port"
    of a serial-to-TCP gateway or "serial:///dev/ttyUSB0?baud=2400", `device_address` the meter's
    12-digit address, `secret` "<password 8 hex>:<operator code 8 hex>" for the trip/close control
    (`register_map` is not used: the total forward active energy is read).
    """
    # Imported here: both adapters import this module.
    if protocol == "modbus_tcp":
        from hardware.modbus_meter import ModbusMeter

        host, port = host_and_port(endpoint)
        if not device_address.isdigit() or not 1 <= int(device_address) <= 247:
            raise ValueError(f"Modbus 从站地址应为 1 到 247，不是“{device_address}”")
        if not register_map:
            raise ValueError("Modbus 电表的型号没有寄存器设置")
        return ModbusMeter(host, port, int(device_address), RegisterMap.from_dict(register_map), timeout=timeout)
    if protocol == "dlt645":
        from hardware.dlt645_meter import Dlt645Meter

        return Dlt645Meter.from_settings(endpoint, device_address, secret, timeout=timeout, register_map=register_map)
    raise ValueError(f"不支持的通信协议“{protocol}”，应为 {'、'.join(PROTOCOLS)} 之一")
