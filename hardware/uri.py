"""Devices named by one string each, so that a kiosk's configuration can say which it has.

    card reader / scanner   sim
                            serial:///dev/ttyUSB0?baud=9600&encoding=utf-8
                            wedge:///dev/input/event3
      card readers also:    digits=hex|decimal, byte_order=msb|lsb, uid_bytes=7
    receipt printer         sim?width=58
                            escpos+tcp://192.168.1.50:9100?width=58&timeout=3
                            escpos+usb://0416:5011?width=80
    gate relay              sim?pulse_ms=500
                            modbus+tcp://10.0.0.9:502?unit=1&coil=0&pulse_ms=500&timeout=1

Anything else (an unknown scheme or option, a bad number) raises ValueError naming the problem.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar
from urllib.parse import parse_qsl, urlsplit

from hardware.printer import ReceiptPrinter, SimulatedPrinter
from hardware.readers import InputReader, SerialLineReader, SimulatedReader, UidFormat, scanned_text
from hardware.relay import GateRelay, ModbusGateRelay, SimulatedGateRelay
from hardware.wedge import KeyboardWedgeReader

Choice = TypeVar("Choice", bound=str)
Number = TypeVar("Number", int, float)
Default = TypeVar("Default", int, float, None)


class _Options:
    """The query of a device URI, read option by option; `finish()` refuses the ones left over."""

    def __init__(self, uri: str, query: str):
        self.uri = uri
        pairs = parse_qsl(query, keep_blank_values=True)
        self._values = dict(pairs)
        if len(self._values) < len(pairs):
            raise ValueError(f"{uri}: an option is given twice")

    def text(self, key: str, default: str) -> str:
        return self._values.pop(key, default)

    def choice(self, key: str, default: Choice, choices: tuple[Choice, ...]) -> Choice:
        value = self._values.pop(key, default)
        for allowed in choices:
            if value == allowed:
                return allowed
        raise ValueError(f"{self.uri}: {key} must be one of {', '.join(choices)}, not {value!r}")

    def number(self, key: str, parse: Callable[[str], Number], default: Default, least: float = 1) -> Number | Default:
        raw = self._values.pop(key, None)
        if raw is None:
            return default
        try:
            value = parse(raw)
        except ValueError:
            raise ValueError(f"{self.uri}: {key} must be a number, not {raw!r}") from None
        if value < least:
            raise ValueError(f"{self.uri}: {key} must be at least {least}, not {raw}")
        return value

    def finish(self) -> None:
        if self._values:
            raise ValueError(f"{self.uri}: unknown option {', '.join(sorted(self._values))}")


def _split(uri: str, kind: str, schemes: tuple[str, ...]) -> tuple[str, str, str, _Options]:
    """(scheme, network location, path, options); "sim" has the empty scheme."""
    parts = urlsplit(uri)
    scheme = "sim" if not parts.scheme and parts.path == "sim" else parts.scheme
    if scheme not in schemes:
        raise ValueError(f"{uri!r} names no {kind}: it must start with one of {', '.join(schemes)}")
    return scheme, parts.netloc, parts.path, _Options(uri, parts.query)


def _device_path(uri: str, netloc: str, path: str) -> str:
    if netloc or not path.startswith("/"):
        raise ValueError(f"{uri}: give the device as an absolute path after three slashes, e.g. serial:///dev/ttyUSB0")
    return path


def _host_and_port(uri: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(uri)
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValueError(f"{uri}: the port must be a number from 1 to 65535") from None
    if not parts.hostname:
        raise ValueError(f"{uri}: the host is missing")
    return parts.hostname, port


def _line_reader(uri: str, kind: str, normaliser: Callable[[_Options], Callable[[str], str]]) -> InputReader:
    scheme, netloc, path, options = _split(uri, kind, ("sim", "serial", "wedge"))
    normalise = normaliser(options)
    if scheme == "sim":
        reader: InputReader = SimulatedReader(normalise=normalise)
    elif scheme == "serial":
        reader = SerialLineReader(
            _device_path(uri, netloc, path),
            options.number("baud", int, 9600),
            normalise=normalise,
            encoding=options.text("encoding", "utf-8"),
        )
    else:
        reader = KeyboardWedgeReader(_device_path(uri, netloc, path), normalise=normalise)
    options.finish()
    return reader


def _uid_format(options: _Options) -> UidFormat:
    return UidFormat(
        digits=options.choice("digits", "hex", ("hex", "decimal")),
        byte_order=options.choice("byte_order", "msb", ("msb", "lsb")),
        uid_bytes=options.number("uid_bytes", int, None),
    )


def card_reader_from_uri(uri: str) -> InputReader:
    return _line_reader(uri, "card reader", _uid_format)


def scanner_from_uri(uri: str) -> InputReader:
    return _line_reader(uri, "scanner", lambda options: scanned_text)


def printer_from_uri(uri: str) -> ReceiptPrinter:
    scheme, netloc, _, options = _split(uri, "receipt printer", ("sim", "escpos+tcp", "escpos+usb"))
    width_mm = int(options.choice("width", "80", ("58", "80")))
    if scheme == "sim":
        options.finish()
        return SimulatedPrinter(width_mm)
    # Imported here: importing python-escpos configures logging and writes a cache (see there).
    from hardware.escpos_printer import NetworkEscposPrinter, UsbEscposPrinter

    if scheme == "escpos+tcp":
        host, port = _host_and_port(uri, 9100)
        printer: ReceiptPrinter = NetworkEscposPrinter(
            host, port, width_mm, timeout=options.number("timeout", float, 3.0, least=0.1)
        )
    else:
        try:
            vendor, product = (int(part, 16) for part in netloc.split(":"))
        except ValueError:
            raise ValueError(f"{uri}: give the USB ids as vendor:product in hex, e.g. escpos+usb://0416:5011") from None
        printer = UsbEscposPrinter(vendor, product, width_mm)
    options.finish()
    return printer


def gate_relay_from_uri(uri: str) -> GateRelay:
    scheme, _, _, options = _split(uri, "gate relay", ("sim", "modbus+tcp"))
    pulse_ms = options.number("pulse_ms", int, 500)
    if scheme == "sim":
        relay: GateRelay = SimulatedGateRelay(pulse_ms)
    else:
        host, port = _host_and_port(uri, 502)
        relay = ModbusGateRelay(
            host,
            port,
            unit=options.number("unit", int, 1, least=0),
            coil=options.number("coil", int, 0, least=0),
            pulse_ms=pulse_ms,
            timeout=options.number("timeout", float, 1.0, least=0.1),
        )
    options.finish()
    return relay
