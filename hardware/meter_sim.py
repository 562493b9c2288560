"""Simulated energy meters for tests, the bench and the demo: a bank of Modbus TCP meters on
pymodbus's own server, and a serial-to-TCP gateway with DL/T 645-2007 meters behind it.

Each meter (`SimMeter`) counts energy at a load while its relay is closed, can be set and
inspected from Python (`milli`, `on`, `protected`; `press_button` is someone closing a DL/T 645
meter on site after a 合闸允许), and has fault switches (`fault`): silent, an
answer that is no reading, a reading that jumps or goes backwards, a relay that acknowledges a
command but does not move. Both servers start with `await start()` (port 0 picks a free port,
`port` says which after the start) and stop with `await stop()`; they can be started again.

    sim = await ModbusMeterSim({1: SimMeter(milli=1_000_000, load_milli_per_hour=2_000)}, MAP).start()
    sim.meters[1].fault = MeterFault.SILENT
    gateway = await Dlt645MeterSim({"000000000001": SimMeter(password="02123456")}).start()
    gateway.meters["000000000001"].protected = True
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import cast

from pymodbus.exceptions import NoSuchIdException
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from hardware.dlt645_meter import (
    CLOSE_DIRECT,
    CLOSE_PERMIT,
    CONTROL,
    DI_FORWARD_ACTIVE_TOTAL,
    DI_STATUS_WORD_3,
    PROTECT,
    PROTECTED,
    READ,
    RELAY_COMMAND_OPEN,
    RELAY_OPEN,
    TRIP,
    WAKE,
    Frame,
    address_bytes,
    address_text,
    beijing_now,
    decode_frame,
    encode_frame,
    from_bcd,
    parse_secret,
    to_bcd,
)
from hardware.meters import RegisterMap

# DL/T 645 error word bits the simulated meters answer with.
OTHER_ERROR = 0x01
NO_SUCH_DATA = 0x02
WRONG_PASSWORD = 0x04
RELEASE_PROTECT = 0x3B

# Modbus function codes the bank answers specially.
READ_COILS, READ_HOLDING, READ_INPUT, WRITE_COIL, WRITE_COILS = 1, 3, 4, 5, 15


class MeterFault(enum.StrEnum):
    NONE = "none"
    SILENT = "silent"
    """No answer at all, as an unplugged meter."""
    GARBAGE = "garbage"
    """Answers, but with no reading: NaN or the "no data" mark (Modbus), bytes that are not BCD (DL/T 645)."""
    JUMP = "jump"
    """Reads `jump_milli` above the register while switched on."""
    BACKWARDS = "backwards"
    """Reads `backwards_milli` below the register while switched on."""
    STUCK_RELAY = "stuck_relay"
    """Acknowledges a trip or close command, but the relay stays where it is."""


class SimMeter:
    """A meter's register, relay and protected state. The register advances by
    `load_milli_per_hour` (times `speed`, simulated hours per real hour) while the relay is on;
    setting `milli` (a reset, a replacement) or `on` takes effect from that moment."""

    def __init__(
        self,
        milli: int = 0,
        load_milli_per_hour: int = 0,
        *,
        on: bool = True,
        protected: bool = False,
        password: str = "02123456",
        direct_close: bool = True,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._clock = clock
        self._since = clock()
        self._exact = float(milli)
        self._load = load_milli_per_hour
        self._on = on
        self.command_on = on
        """The last trip/close command obeyed or not (DL/T 645 status word 3, bit 6)."""
        self.protected = protected
        """DL/T 645 保电: the meter refuses to trip (Modbus meters have no such state)."""
        self.password = password
        """DL/T 645 control password, level first ("02123456"); any operator code is accepted."""
        self.direct_close = direct_close
        """DL/T 645: whether the meter knows 1CH 直接合闸 (one that does not answers it "other error")."""
        self.close_permitted = False
        """DL/T 645 1BH 合闸允许 taken: the relay closes when someone presses the button."""
        self.speed = speed
        self.fault = MeterFault.NONE
        self.jump_milli = 1_000_000
        self.backwards_milli = 10_000

    def _advance(self) -> None:
        now = self._clock()
        if self._on:
            self._exact += self._load * (now - self._since) * self.speed / 3600
        self._since = now

    @property
    def milli(self) -> int:
        """The register now, in thousandths (what the meter counts, whatever a fault shows)."""
        self._advance()
        return int(self._exact)

    @milli.setter
    def milli(self, value: int) -> None:
        self._advance()
        self._exact = float(value)

    @property
    def load_milli_per_hour(self) -> int:
        return self._load

    @load_milli_per_hour.setter
    def load_milli_per_hour(self, value: int) -> None:
        self._advance()
        self._load = value

    @property
    def on(self) -> bool:
        """The relay: on = supplied (and counting)."""
        return self._on

    @on.setter
    def on(self, value: bool) -> None:
        self._advance()
        self._on = self.command_on = value

    def shown_milli(self) -> int:
        """The reading the meter answers with (a jump or backward step while such a fault is on)."""
        if self.fault is MeterFault.JUMP:
            return self.milli + self.jump_milli
        if self.fault is MeterFault.BACKWARDS:
            return max(0, self.milli - self.backwards_milli)
        return self.milli

    def command(self, on: bool) -> None:
        """A trip or (direct) close command as the meter obeys it (or not, with a stuck relay)."""
        self.close_permitted = False
        if self.fault is MeterFault.STUCK_RELAY:
            self.command_on = on
        else:
            self.on = on

    def permit_close(self) -> None:
        """DL/T 645 合闸允许: the command is now "close", but the relay waits for the button."""
        if self.on:
            self.command_on = True
            return
        self.command_on = self.close_permitted = True

    def press_button(self) -> bool:
        """Someone holding the meter's button on site: the relay closes if a close was allowed
        (and is not stuck). Whether it closed."""
        if not self.close_permitted or self.fault is MeterFault.STUCK_RELAY:
            return False
        self.close_permitted = False
        self.on = True
        return True


class ModbusMeterSim:
    """Modbus TCP meters behind one address, one unit id each, all of one model (`register_map`):
    the register at the map's address, the relay at its coil. Unknown unit ids are silent.
    `coil_writes` lists every relay command received, (unit, on), obeyed or not."""

    def __init__(
        self,
        meters: Mapping[int, SimMeter],
        register_map: RegisterMap | Mapping,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.meters = dict(meters)
        self.register_map = (
            register_map if isinstance(register_map, RegisterMap) else RegisterMap.from_dict(register_map)
        )
        self.host, self.port = host, port
        self.coil_writes: list[tuple[int, bool]] = []
        self._server: ModbusTcpServer | None = None

    async def start(self) -> ModbusMeterSim:
        devices = [self._device(unit) for unit in sorted(self.meters)]
        devices.append(SimDevice(id=0, simdata=self._blocks(), action=self._silence))
        # ignore_missing_devices: a request the action refuses with NoSuchIdException gets no answer.
        self._server = ModbusTcpServer(devices, address=(self.host, self.port), ignore_missing_devices=True)
        await self._server.serve_forever(background=True)
        listener = cast(asyncio.Server, self._server.transport)
        self.port = listener.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None

    def _blocks(self) -> tuple[list[SimData], list[SimData], list[SimData], list[SimData]]:
        regs = self.register_map
        coils = 16 * ((regs.coil or 0) // 16 + 1)
        energy = [SimData(regs.address, count=regs.words, values=0, datatype=DataType.REGISTERS)]
        other = [SimData(0, values=0, datatype=DataType.REGISTERS)]
        return (
            [SimData(0, count=coils, values=False, datatype=DataType.BITS)],
            [SimData(0, count=16, values=False, datatype=DataType.BITS)],
            energy if regs.function == "holding" else other,
            energy if regs.function == "input" else other,
        )

    async def _silence(self, *_) -> None:
        raise NoSuchIdException("no meter with this unit id")

    def _device(self, unit: int) -> SimDevice:
        regs = self.register_map
        energy_function = READ_HOLDING if regs.function == "holding" else READ_INPUT

        async def action(function_code, start_address, address, count, registers, set_values):
            meter = self.meters[unit]
            if meter.fault is MeterFault.SILENT:
                raise NoSuchIdException(f"meter {unit} is silent")
            if function_code == energy_function:
                shown = (
                    regs.garbage_registers()
                    if meter.fault is MeterFault.GARBAGE
                    else regs.to_registers(meter.shown_milli())
                )
                registers[regs.address - start_address : regs.address - start_address + regs.words] = shown
            elif function_code in (READ_COILS, WRITE_COIL, WRITE_COILS) and regs.coil is not None:
                if set_values is not None and address <= regs.coil < address + len(set_values):
                    on = bool(set_values[regs.coil - address])
                    self.coil_writes.append((unit, on))
                    meter.command(on)
                    # What is stored is what the relay did (a stuck relay stays put).
                    set_values[regs.coil - address] = meter.on
                index, bit = regs.coil // 16 - start_address, regs.coil % 16
                registers[index] = registers[index] | (1 << bit) if meter.on else registers[index] & ~(1 << bit)
            return None

        return SimDevice(id=unit, simdata=self._blocks(), action=action)


class Dlt645MeterSim:
    """A serial-to-TCP gateway with DL/T 645-2007 meters behind it, keyed by their 12-digit
    addresses: it answers reads of the total forward active energy and of status word 3, and the
    control (拉闸, 合闸允许, 直接合闸 for a meter with `direct_close`, 保电 on/off, as real meters
    do) when the password matches and the command's deadline has not passed by the meters' `clock`
    (Beijing local time). After 合闸允许 the relay stays open until `SimMeter.press_button`. A meter
    in its protected state refuses to trip. Unknown addresses are silent. `controls` lists every control
    command received: (address, N1 command, operator code as written, obeyed)."""

    def __init__(
        self,
        meters: Mapping[str, SimMeter],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], datetime] = beijing_now,
    ):
        for address in meters:
            address_bytes(address)  # a typo would make a meter that never answers: refused here
        self.meters = dict(meters)
        self.host, self.port = host, port
        self.clock = clock
        self.controls: list[tuple[str, int, str, bool]] = []
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}

    async def start(self) -> Dlt645MeterSim:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in self._connections.values():
                writer.close()
            # Each connection's task ends once its socket is closed; stop() returns after them.
            await asyncio.gather(*self._connections, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        buffer = b""
        try:
            while chunk := await reader.read(256):
                buffer += chunk
                while True:
                    frame, buffer = decode_frame(buffer)
                    if frame is None:
                        break
                    answer = self.answer(frame)
                    if answer is not None:
                        writer.write(WAKE + answer)
                        await writer.drain()
        except ConnectionError:
            pass  # the master went away: nothing to answer
        finally:
            del self._connections[task]
            writer.close()

    def answer(self, frame: Frame) -> bytes | None:
        """The bytes the addressed meter answers `frame` with (None: it stays silent)."""
        address = address_text(frame.address)
        meter = self.meters.get(address)
        if frame.is_answer or meter is None or meter.fault is MeterFault.SILENT:
            return None
        if frame.function == READ:
            return self._read(frame, meter)
        if frame.function == CONTROL:
            error = self._control(address, frame.data, meter)
            if error:
                return encode_frame(frame.address, CONTROL | 0xC0, bytes([error]))
            return encode_frame(frame.address, CONTROL | 0x80)
        return encode_frame(frame.address, frame.function | 0xC0, bytes([OTHER_ERROR]))

    def _read(self, frame: Frame, meter: SimMeter) -> bytes:
        di = int.from_bytes(frame.data[:4], "little")
        if di == DI_FORWARD_ACTIVE_TOTAL:
            # XXXXXX.XX kWh: the register rolls over at a million kWh.
            value = b"\xff" * 4 if meter.fault is MeterFault.GARBAGE else to_bcd(meter.shown_milli() // 10 % 10**8, 4)
        elif di == DI_STATUS_WORD_3:
            word = (0 if meter.on else RELAY_OPEN) | (0 if meter.command_on else RELAY_COMMAND_OPEN)
            value = (word | (PROTECTED if meter.protected else 0)).to_bytes(2, "little")
        else:
            return encode_frame(frame.address, READ | 0xC0, bytes([NO_SUCH_DATA]))
        return encode_frame(frame.address, READ | 0x80, frame.data[:4] + value)

    def _control(self, address: str, data: bytes, meter: SimMeter) -> int:
        """Carries out a control command; the error word (0 when obeyed)."""
        if len(data) != 16:
            return OTHER_ERROR
        command = data[8]
        operator = data[4:8][::-1].hex().upper()
        error = self._control_error(data, meter, command)
        self.controls.append((address, command, operator, not error))
        if error:
            return error
        if command in (TRIP, CLOSE_DIRECT):
            meter.command(command == CLOSE_DIRECT)
        elif command == CLOSE_PERMIT:
            meter.permit_close()
        else:
            meter.protected = command == PROTECT
        return 0

    def _control_error(self, data: bytes, meter: SimMeter, command: int) -> int:
        if data[:4] != parse_secret(f"{meter.password}:00000000")[0]:
            return WRONG_PASSWORD
        try:
            ss, mm, hh, day, month, year = (from_bcd(data[i : i + 1]) for i in range(10, 16))
            deadline = datetime(2000 + year, month, day, hh, mm, ss)
        except ValueError:
            return OTHER_ERROR
        known = (TRIP, CLOSE_PERMIT, PROTECT, RELEASE_PROTECT) + ((CLOSE_DIRECT,) if meter.direct_close else ())
        if deadline < self.clock() or command not in known:
            return OTHER_ERROR
        # The 2007 error word has no bit for "protected": real meters answer "other error".
        if command == TRIP and meter.protected:
            return OTHER_ERROR
        return 0
