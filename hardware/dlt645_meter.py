"""DL/T 645-2007 energy meters on an RS-485 line: the frame codec, reading the total forward active
energy and status word 3, and the trip/close control (control code 1CH) with password and
operator code.

A frame (DL/T 645-2007, 4.1) is 68H A0..A5 68H C L DATA CS 16H: the address is 12 BCD digits, low
digits first; every DATA byte is sent plus 33H; CS is the sum modulo 256 of every byte from the
first 68H to the end of DATA. A master may send FEH bytes before a frame to wake the line, and
meters do too, so they are sent and skipped. Answers set bit 7 of C; bit 6 marks an abnormal
answer, whose one data byte is the error word (bit 0 other error, 1 no such data, 2 wrong
password or not authorised, 3 baud rate cannot change, 4-6 too many year zones, day periods or
tariffs).

Read (11H): DATA is the data identifier DI0..DI3 (low byte first); the answer repeats it and adds
the value. 00 01 00 00 is 正向有功总电能, XXXXXX.XX kWh in 4 BCD bytes, low byte first.
04 00 05 03 is 电表运行状态字3 (2 bytes, low byte first): bit 4 the relay (0 closed, 1 open),
bit 6 the relay command (0 close, 1 trip), bit 12 保电 (0 no, 1 protected; the bit the 2007
standard left reserved and the filed amendment for smart meters assigned).

Control (1CH): DATA is PA P0 P1 P2 (password level, then the password, low byte first),
C0..C3 (the operator code, low byte first; the meter records who acted), N1 the command, N2
reserved (00H) and N3..N8 the command's validity deadline ss mm hh DD MM YY in BCD, the meter's
(Beijing) local time, after which the meter ignores it, so that a command stuck in a queue cannot
act hours later. The commands (N1): 1AH 拉闸 (trip), 1BH 合闸允许 (close allowed: the relay stays
open until someone holds the meter's button on site), 1CH 直接合闸 (direct close, added with the
smart-meter amendment filed against the 2007 standard), 2AH/2BH 报警 and its release, 3AH/3BH 保电
and its release. This adapter trips with 1AH and closes with 1CH, or with 1BH for a model whose
meters lack direct close or are meant to be closed on site (`CLOSE_OPTION` "permit" in the model's
register_map); it never sends 2AH or 3AH: protecting a meter is a decision for the person on site.
The normal answer is 9CH with no data, the abnormal one DCH with the error word (a meter without
direct close answers 1CH with "other error"). Meters whose control is encrypted by an ESAM
(password level 98H/99H) are not spoken to here.

The meters on one line (one serial-to-TCP gateway, or one local serial port) share it: requests go
one at a time, as two masters talking at once would garble the bus.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import serial

from hardware.meters import MeterRead, SwitchRead, host_and_port
from hardware.status import OK, DeviceState, DeviceStatus

START = 0x68
END = 0x16
WAKE = b"\xfe" * 4
OFFSET = 0x33

READ = 0x11
CONTROL = 0x1C
ANSWER = 0x80
ABNORMAL = 0x40

# Control commands (N1).
TRIP = 0x1A  # 拉闸
CLOSE_PERMIT = 0x1B  # 合闸允许: the relay closes when the button is pressed on site
CLOSE_DIRECT = 0x1C  # 直接合闸
ALARM = 0x2A  # 报警: never sent by this adapter
PROTECT = 0x3A  # 保电: never sent by this adapter (see the module's docstring)

# The model option (a key of the model's register_map, which DL/T 645 models use for nothing else)
# saying how its meters are closed: "direct" (1CH, the default) or "permit" (1BH).
CLOSE_OPTION = "close"
CLOSE_COMMANDS = {"direct": CLOSE_DIRECT, "permit": CLOSE_PERMIT}

DI_FORWARD_ACTIVE_TOTAL = 0x00010000
DI_STATUS_WORD_3 = 0x04000503
RELAY_OPEN = 1 << 4
RELAY_COMMAND_OPEN = 1 << 6
PROTECTED = 1 << 12

ERROR_BITS = (
    (0x01, "其他错误"),
    (0x02, "无请求数据"),
    (0x04, "密码错误或未授权"),
    (0x08, "通信速率不能更改"),
    (0x10, "年时区数超"),
    (0x20, "日时段数超"),
    (0x40, "费率数超"),
)

BEIJING = ZoneInfo("Asia/Shanghai")
BAUD_RATES = (1200, 2400, 4800, 9600, 19200)
# How long a control command stays valid after it is sent (its N3..N8 deadline).
CONTROL_VALID = timedelta(minutes=10)


def beijing_now() -> datetime:
    return datetime.now(BEIJING).replace(tzinfo=None)


@dataclass(frozen=True)
class Frame:
    address: bytes
    """A0..A5 as on the line (low digits first)."""
    control: int
    data: bytes
    """Without the 33H offset."""

    @property
    def function(self) -> int:
        return self.control & 0x1F

    @property
    def is_answer(self) -> bool:
        return bool(self.control & ANSWER)

    @property
    def is_abnormal(self) -> bool:
        return bool(self.control & ABNORMAL)


def to_bcd(value: int, size: int) -> bytes:
    """`value` as `size` BCD bytes, low byte first."""
    digits = f"{value:0{size * 2}d}"
    if len(digits) != size * 2 or value < 0:
        raise ValueError(f"{value} does not fit in {size} BCD bytes")
    return bytes(int(digits[i : i + 2], 16) for i in range(0, len(digits), 2))[::-1]


def from_bcd(raw: bytes) -> int:
    """BCD bytes, low byte first; ValueError for a byte that is not two decimal digits."""
    text = raw[::-1].hex()
    if not text.isdigit():
        raise ValueError(f"not BCD: {raw[::-1].hex(' ').upper()}")
    return int(text)


def address_bytes(address: str) -> bytes:
    """A meter's 12-digit address as sent (low digits first); ValueError in Chinese."""
    if len(address) != 12 or not address.isdigit():
        raise ValueError(f"DL/T 645 电表地址应为 12 位数字，不是“{address}”")
    return to_bcd(int(address), 6)


def address_text(raw: bytes) -> str:
    return raw[::-1].hex().upper()


def encode_frame(address: bytes, control: int, data: bytes = b"") -> bytes:
    """A frame without wake-up bytes; `data` without the 33H offset."""
    body = bytes([START, *address, START, control, len(data), *((b + OFFSET) & 0xFF for b in data)])
    return body + bytes([sum(body) & 0xFF, END])


def decode_frame(buffer: bytes) -> tuple[Frame | None, bytes]:
    """The first whole frame in `buffer` and what follows it; (None, what may still become one).

    Wake-up bytes, noise and frames with a wrong checksum or end byte are skipped.
    """
    start = buffer.find(START)
    while start >= 0:
        if len(buffer) - start < 12:
            return None, buffer[start:]
        if buffer[start + 7] == START:
            length = buffer[start + 9]
            end = start + 12 + length
            if len(buffer) < end:
                return None, buffer[start:]
            body = buffer[start : end - 2]
            if buffer[end - 2] == sum(body) & 0xFF and buffer[end - 1] == END:
                data = bytes((b - OFFSET) & 0xFF for b in body[10:])
                return Frame(bytes(body[1:7]), body[8], data), buffer[end:]
        start = buffer.find(START, start + 1)
    return None, b""


def read_request(address: bytes, di: int) -> bytes:
    return encode_frame(address, READ, di.to_bytes(4, "little"))


def control_request(address: bytes, command: int, password: bytes, operator: bytes, valid_until: datetime) -> bytes:
    """The 1CH frame: `password` PA P0 P1 P2 and `operator` C0..C3 as sent (see `parse_secret`),
    `valid_until` the meter's local time."""
    if len(password) != 4 or len(operator) != 4:
        raise ValueError("password and operator code are 4 bytes each")
    deadline = b"".join(
        to_bcd(part, 1)
        for part in (
            valid_until.second,
            valid_until.minute,
            valid_until.hour,
            valid_until.day,
            valid_until.month,
            valid_until.year % 100,
        )
    )
    return encode_frame(address, CONTROL, password + operator + bytes([command, 0]) + deadline)


def parse_secret(secret: str) -> tuple[bytes, bytes]:
    """ "<password 8 hex>:<operator 8 hex>" as written on the meter's papers, level first
    ("02123456": level 02, password 123456) -> (PA P0 P1 P2, C0..C3) as sent; ValueError in Chinese."""
    password, _, operator = secret.partition(":")
    try:
        if len(password) != 8 or len(operator) != 8:
            raise ValueError
        pa_p, c = bytes.fromhex(password), bytes.fromhex(operator)
    except ValueError:
        raise ValueError("控制密码应写作“8 位十六进制密码:8 位十六进制操作者代码”，例如 02123456:00000001") from None
    return pa_p[:1] + pa_p[1:][::-1], c[::-1]


def close_command(register_map: Mapping | None) -> int:
    """The close command (N1) a model's meters take: its register_map's "close" option, "direct"
    (直接合闸, the default) or "permit" (合闸允许); ValueError in Chinese for anything else."""
    choice = (register_map or {}).get(CLOSE_OPTION, "direct")
    if choice not in CLOSE_COMMANDS:
        raise ValueError(
            f"DL/T 645 型号的合闸方式“{CLOSE_OPTION}”应为 direct（直接合闸）或 permit（合闸允许），不是“{choice}”"
        )
    return CLOSE_COMMANDS[choice]


def error_words(error: int) -> str:
    words = [text for bit, text in ERROR_BITS if error & bit]
    return "、".join(words) or "未说明原因"


class _Fault(Exception):
    def __init__(self, status: DeviceStatus):
        self.status = status


class _TcpLine:
    """A serial-to-TCP gateway: bytes written go onto the RS-485 line, answers come back."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.name = f"{host}:{port}"
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def send(self, data: bytes) -> None:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(data)
        await self._writer.drain()

    async def receive(self) -> bytes:
        assert self._reader is not None
        chunk = await self._reader.read(256)
        if not chunk:
            raise ConnectionResetError("the gateway closed the connection")
        return chunk

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


class _SerialLine:
    """A local RS-485 port: 8 data bits, even parity, 1 stop bit (DL/T 645-2007, 4.2)."""

    def __init__(self, path: str, baud: int):
        self.path, self.baud = path, baud
        self.name = path
        self._port: serial.Serial | None = None

    async def send(self, data: bytes) -> None:
        if self._port is None:
            self._port = serial.Serial(self.path, self.baud, parity=serial.PARITY_EVEN, timeout=0.05, exclusive=True)
        # Whatever is left on the line (a late answer to a timed-out request) is not this answer.
        self._port.reset_input_buffer()
        await asyncio.to_thread(self._port.write, data)

    async def receive(self) -> bytes:
        assert self._port is not None
        port = self._port
        return await asyncio.to_thread(lambda: port.read(max(1, port.in_waiting)))

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
        self._port = None


Line = _TcpLine | _SerialLine


class _Bus:
    """One line shared by the meters on it, one request at a time; closed with its last user."""

    def __init__(self, line: Line):
        self.line = line
        self.lock = asyncio.Lock()
        self.users = 0


# Per event loop, as asyncio locks and streams belong to one.
_buses: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, _Bus]] = weakref.WeakKeyDictionary()


def _line_from_endpoint(endpoint: str) -> Callable[[], Line]:
    if not endpoint.startswith("serial:"):
        host, port = host_and_port(endpoint)
        return lambda: _TcpLine(host, port)
    parts = urlsplit(endpoint)
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    baud_text = options.pop("baud", "2400")
    if parts.netloc or not parts.path.startswith("/") or options:
        raise ValueError(f"串口“{endpoint}”应写作 serial:///dev/ttyUSB0?baud=2400")
    if not baud_text.isdigit() or int(baud_text) not in BAUD_RATES:
        raise ValueError(f"波特率应为 {'、'.join(map(str, BAUD_RATES))} 之一，不是“{baud_text}”")
    return lambda: _SerialLine(parts.path, int(baud_text))


class Dlt645Meter:
    """One DL/T 645-2007 meter; `password`/`operator` as sent (see `parse_secret`), None when the
    meter is only read; `close` the command that closes it (CLOSE_DIRECT or CLOSE_PERMIT)."""

    def __init__(
        self,
        endpoint: str,
        address: str,
        *,
        password: bytes | None = None,
        operator: bytes | None = None,
        timeout: float = 3.0,
        clock: Callable[[], datetime] = beijing_now,
        close: int = CLOSE_DIRECT,
    ):
        if close not in CLOSE_COMMANDS.values():
            raise ValueError(f"not a close command: {close:02X}H")
        self._make_line = _line_from_endpoint(endpoint)
        self.endpoint = endpoint
        self.address = address_bytes(address)
        self.password, self.operator = password, operator
        self.timeout = timeout
        self.clock = clock
        self.close_command = close
        self.name = f"DL/T 645 电表 {address}（{endpoint}）"
        self._bus: _Bus | None = None

    @classmethod
    def from_settings(
        cls, endpoint: str, address: str, secret: str, *, timeout: float = 3.0, register_map: Mapping | None = None
    ) -> Dlt645Meter:
        """From a meter's stored settings: `secret` as in `parse_secret`, `register_map` the model's
        (only its "close" option is used, see `close_command`); ValueError in Chinese."""
        password, operator = parse_secret(secret) if secret else (None, None)
        return cls(
            endpoint,
            address,
            password=password,
            operator=operator,
            timeout=timeout,
            close=close_command(register_map),
        )

    async def read(self) -> MeterRead:
        try:
            value = await self._read_data(DI_FORWARD_ACTIVE_TOTAL, 4)
            counts = from_bcd(value)  # hundredths of a kWh
        except _Fault as fault:
            return MeterRead(fault.status, None, fault.status.message)
        except ValueError as exc:
            problem = f"{self.name}：电能读数不是有效的 BCD 码（{exc}），电表可能故障"
            return MeterRead(DeviceStatus(DeviceState.ERROR, problem), None, problem)
        return MeterRead(OK, counts * 10)

    async def read_switch(self) -> SwitchRead:
        try:
            word = int.from_bytes(await self._read_data(DI_STATUS_WORD_3, 2), "little")
        except _Fault as fault:
            return SwitchRead(fault.status, None)
        return SwitchRead(OK, not word & RELAY_OPEN, bool(word & PROTECTED))

    async def switch(self, on: bool) -> DeviceStatus:
        if self.password is None or self.operator is None:
            return DeviceStatus(DeviceState.ERROR, f"{self.name}：没有设置控制密码和操作者代码，不能通断")
        request = control_request(
            self.address, self.close_command if on else TRIP, self.password, self.operator, self.clock() + CONTROL_VALID
        )
        try:
            await self._transact(request)
        except _Fault as fault:
            return fault.status
        if on and self.close_command == CLOSE_PERMIT:
            # Acknowledged, but the relay stays open until someone presses the meter's button.
            return DeviceStatus(DeviceState.OK, f"{self.name}：已允许合闸，须到现场按电表按键才会合闸")
        return OK

    async def close(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            bus.users -= 1
            if bus.users == 0:
                bus.line.close()
                _buses.get(asyncio.get_running_loop(), {}).pop(self.endpoint, None)

    async def _read_data(self, di: int, size: int) -> bytes:
        answer = await self._transact(read_request(self.address, di))
        if len(answer.data) != 4 + size:
            raise _Fault(DeviceStatus(DeviceState.ERROR, f"{self.name}：数据 {di:08X} 的应答长度不对，电表可能故障"))
        return answer.data[4:]

    def _bus_of_line(self) -> _Bus:
        if self._bus is None:
            lines = _buses.setdefault(asyncio.get_running_loop(), {})
            if self.endpoint not in lines:
                lines[self.endpoint] = _Bus(self._make_line())
            self._bus = lines[self.endpoint]
            self._bus.users += 1
        return self._bus

    async def _transact(self, request: bytes) -> Frame:
        """Sends `request` and waits for this meter's answer to it (a normal one, or a _Fault)."""
        bus = self._bus_of_line()
        async with bus.lock:
            try:
                async with asyncio.timeout(self.timeout):
                    await bus.line.send(WAKE + request)
                    buffer = b""
                    while True:
                        buffer += await bus.line.receive()
                        while True:
                            frame, buffer = decode_frame(buffer)
                            if frame is None:
                                break
                            if self._answers(request, frame):
                                return self._answer(frame)
            except TimeoutError:
                # Start afresh: a late answer must not be taken for the next request's.
                bus.line.close()
                raise _Fault(
                    DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}：{self.timeout} 秒内没有应答")
                ) from None
            except OSError as exc:  # (serial.SerialException is one)
                bus.line.close()
                raise _Fault(DeviceStatus(DeviceState.DISCONNECTED, f"{self.name}：无法连接（{exc}）")) from None
            except asyncio.CancelledError:
                bus.line.close()
                raise

    def _answers(self, request: bytes, frame: Frame) -> bool:
        """Whether `frame` answers `request`: our own request echoed by a two-wire converter,
        another meter's answer, or a late answer to an earlier read is not the answer."""
        if not frame.is_answer or frame.address != self.address or frame.function != request[8]:
            return False
        if frame.is_abnormal or frame.function != READ:
            return True
        di = bytes((b - OFFSET) & 0xFF for b in request[10:14])
        return frame.data[:4] == di

    def _answer(self, frame: Frame) -> Frame:
        if not frame.is_abnormal:
            return frame
        error = frame.data[0] if frame.data else 0
        raise _Fault(
            DeviceStatus(DeviceState.ERROR, f"{self.name}：电表拒绝执行（{error_words(error)}，错误字 {error:02X}H）")
        )
