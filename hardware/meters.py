"""STAND-IN (helper hw writes the real file): the register map of a Modbus meter model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FUNCTIONS = ("holding", "input")
DATA_TYPES = ("uint16", "uint32", "int32", "uint64", "float32", "float64")
WORD_ORDERS = ("big", "little")


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
        if raw.get("function") not in FUNCTIONS:
            raise ValueError("寄存器类型必须是 holding 或 input")
        if raw.get("data_type") not in DATA_TYPES:
            raise ValueError(f"数据类型必须是 {'、'.join(DATA_TYPES)} 之一")
        if raw.get("word_order", "big") not in WORD_ORDERS:
            raise ValueError("字序必须是 big 或 little")
        address = raw.get("address")
        if not isinstance(address, int) or not 0 <= address <= 65535:
            raise ValueError("起始地址必须是 0 到 65535 的整数")
        scale = raw.get("milli_per_count")
        if not isinstance(scale, int | float) or not 0 < scale <= 10**9:
            raise ValueError("每个计数代表的千分之一单位数必须大于 0")
        coil = raw.get("coil")
        if coil is not None and (not isinstance(coil, int) or not 0 <= coil <= 65535):
            raise ValueError("继电器线圈地址必须是 0 到 65535 的整数")
        return cls(raw["function"], address, raw["data_type"], raw.get("word_order", "big"), scale, coil)

    def to_dict(self) -> dict:
        return {
            "function": self.function,
            "address": self.address,
            "data_type": self.data_type,
            "word_order": self.word_order,
            "milli_per_count": self.milli_per_count,
            "coil": self.coil,
        }
