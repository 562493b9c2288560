"""Energy meters in general: register maps (settings, decoding, garbage) and opening a meter from
its stored settings."""

import struct

import pytest

from hardware.dlt645_meter import Dlt645Meter
from hardware.meters import RegisterMap, open_meter
from hardware.modbus_meter import ModbusMeter
from tests.fixtures.energy import MODBUS_MAP


def reg_map(**changes) -> RegisterMap:
    return RegisterMap.from_dict(MODBUS_MAP | changes)


def words(fmt: str, value) -> list[int]:
    packed = struct.pack(fmt, value)
    return [int.from_bytes(packed[i : i + 2], "big") for i in range(0, len(packed), 2)]


def test_register_map_round_trips_through_the_dict_stored_with_the_model():
    regs = RegisterMap.from_dict(MODBUS_MAP)
    assert regs == RegisterMap("holding", 0, "uint32", "big", 10, 0)
    assert regs.to_dict() == MODBUS_MAP
    assert RegisterMap.from_dict(regs.to_dict()) == regs


def test_register_map_without_word_order_or_coil_reads_big_endian_and_has_no_relay():
    regs = RegisterMap.from_dict({"function": "input", "address": 30, "data_type": "float32", "milli_per_count": 1000})
    assert (regs.word_order, regs.coil) == ("big", None)


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"function": "coil"}, "寄存器类型（function）"),
        ({"address": -1}, "起始地址（address）必须是 0 到 65534"),
        ({"address": 65535}, "起始地址（address）必须是 0 到 65534"),
        ({"address": "0"}, "起始地址（address）"),
        ({"address": True}, "起始地址（address）"),
        ({"data_type": "int16"}, "数据类型（data_type）"),
        ({"word_order": "middle"}, "字序（word_order）"),
        ({"milli_per_count": 0}, "milli_per_count"),
        ({"milli_per_count": float("nan")}, "milli_per_count"),
        ({"milli_per_count": "10"}, "milli_per_count"),
        ({"coil": 70000}, "继电器线圈地址（coil）"),
        ({"scale": 1}, "未知的设置项：scale"),
    ],
)
def test_register_map_refuses_settings_that_cannot_be_read_with_the_problem_in_chinese(changes, problem):
    with pytest.raises(ValueError, match=problem.replace("（", r"\（").replace("）", r"\）")):
        RegisterMap.from_dict(MODBUS_MAP | changes)


def test_register_map_that_is_not_a_mapping_is_refused():
    with pytest.raises(ValueError, match="寄存器设置"):
        RegisterMap.from_dict(["holding", 0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "registers", "milli"),
    [
        ({}, [0x0001, 0xE240], 1_234_560),  # 123456 counts of 0.01 kWh
        ({"word_order": "little"}, [0xE240, 0x0001], 1_234_560),
        ({"data_type": "uint16", "milli_per_count": 1000}, [1234], 1_234_000),
        ({"data_type": "int32", "milli_per_count": 1}, [0x0012, 0xD687], 1_234_567),
        ({"data_type": "uint64", "milli_per_count": 1}, [0, 0, 0x0012, 0xD687], 1_234_567),
        ({"data_type": "float32", "milli_per_count": 1000}, [0x449A, 0x5000], 1_234_500),  # 1234.5
        ({"data_type": "float64", "milli_per_count": 1000}, words(">d", 1234.5678), 1_234_568),
        ({"data_type": "uint32", "milli_per_count": 0.1}, [0, 12346], 1_235),  # 0.1 Wh counts, rounded
    ],
)
def test_registers_decode_by_data_type_word_order_and_scale(changes, registers, milli):
    assert reg_map(**changes).to_milli(registers) == milli


@pytest.mark.parametrize(
    ("changes", "registers", "problem"),
    [
        ({"data_type": "float32"}, [0x7FC0, 0x0000], "NaN"),
        ({"data_type": "float32"}, [0x7F80, 0x0000], "NaN 或无穷大"),
        ({"data_type": "float64"}, words(">d", -1.5), "负数"),
        ({"data_type": "int32"}, [0xFFFF, 0xFFFE], "负数"),
        ({"data_type": "int32"}, [0x8000, 0x0000], "无数据"),
        ({"data_type": "uint32"}, [0xFFFF, 0xFFFF], "无数据"),
        ({"data_type": "uint16"}, [0xFFFF], "无数据"),
        ({"data_type": "uint64", "milli_per_count": 1000}, [0x00FF, 0, 0, 0], "超出合理范围"),
        ({}, [0x0001], "寄存器个数不对"),
    ],
)
def test_registers_that_cannot_be_a_cumulative_reading_are_garbage(changes, registers, problem):
    with pytest.raises(ValueError, match=problem):
        reg_map(**changes).to_milli(registers)


@pytest.mark.parametrize("data_type", ["uint16", "uint32", "int32", "uint64", "float32", "float64"])
@pytest.mark.parametrize("word_order", ["big", "little"])
def test_registers_a_simulated_meter_shows_decode_to_its_reading_and_garbage_to_none(data_type, word_order):
    regs = reg_map(data_type=data_type, word_order=word_order, milli_per_count=10)
    assert regs.to_milli(regs.to_registers(65_530)) == 65_530
    with pytest.raises(ValueError):
        regs.to_milli(regs.garbage_registers())


def test_an_integer_register_rolls_over_at_its_width():
    regs = reg_map(data_type="uint16", milli_per_count=1)
    assert regs.to_registers(65_536 + 7) == [7]


def test_open_meter_builds_a_modbus_meter_from_its_settings():
    meter = open_meter("modbus_tcp", "10.0.0.9:502", "7", MODBUS_MAP, timeout=1.5)
    assert isinstance(meter, ModbusMeter)
    assert (meter.host, meter.port, meter.unit, meter.timeout) == ("10.0.0.9", 502, 7, 1.5)
    assert meter.register_map == RegisterMap.from_dict(MODBUS_MAP)


def test_open_meter_builds_a_dlt645_meter_behind_a_gateway_or_on_a_serial_port():
    meter = open_meter("dlt645", "[fd00::9]:8899", "123456789012", None, secret="02123456:00000001")
    assert isinstance(meter, Dlt645Meter)
    assert meter.address == bytes.fromhex("129078563412")
    assert (meter.password, meter.operator) == (bytes.fromhex("02563412"), bytes.fromhex("01000000"))
    on_port = open_meter("dlt645", "serial:///dev/ttyUSB0?baud=9600", "000000000001", {})
    assert isinstance(on_port, Dlt645Meter) and on_port.password is None


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("opc_ua", "10.0.0.9:502", "1", MODBUS_MAP), "不支持的通信协议"),
        (("modbus_tcp", "10.0.0.9", "1", MODBUS_MAP), "主机:端口"),
        (("modbus_tcp", "10.0.0.9:70000", "1", MODBUS_MAP), "主机:端口"),
        (("modbus_tcp", "10.0.0.9:502/x", "1", MODBUS_MAP), "主机:端口"),
        (("modbus_tcp", "10.0.0.9:502", "0", MODBUS_MAP), "1 到 247"),
        (("modbus_tcp", "10.0.0.9:502", "248", MODBUS_MAP), "1 到 247"),
        (("modbus_tcp", "10.0.0.9:502", "1", {}), "没有寄存器设置"),
        (("modbus_tcp", "10.0.0.9:502", "1", MODBUS_MAP | {"data_type": "x"}), "数据类型"),
        (("dlt645", "10.0.0.9:8899", "12345678901", None), "12 位数字"),
        (("dlt645", "10.0.0.9:8899", "12345678901A", None), "12 位数字"),
        (("dlt645", "serial:///dev/ttyUSB0?baud=2401", "123456789012", None), "波特率"),
        (("dlt645", "serial:///dev/ttyUSB0?parity=N", "123456789012", None), "serial:///dev/ttyUSB0"),
        (("dlt645", "serial://ttyUSB0", "123456789012", None), "serial:///dev/ttyUSB0"),
    ],
)
def test_open_meter_refuses_settings_that_cannot_be_such_a_meter(args, problem):
    with pytest.raises(ValueError, match=problem):
        open_meter(*args)


@pytest.mark.parametrize("secret", ["02123456", "0212345:00000001", "02123456:0000000G", "02123456:000000001"])
def test_open_meter_refuses_a_control_secret_not_written_as_password_and_operator_code(secret):
    with pytest.raises(ValueError, match="8 位十六进制密码:8 位十六进制操作者代码"):
        open_meter("dlt645", "10.0.0.9:8899", "123456789012", None, secret=secret)
