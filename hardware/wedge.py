"""Keyboard-wedge card readers and scanners: USB devices that type what they read, then Enter.

The device is read from its Linux input device (/dev/input/event*, or better a stable
/dev/input/by-id/... name) and grabbed, so that the typed UID does not also land in whatever
has the keyboard focus on the kiosk's screen. Decoding is kept apart from the device: key
events, as the kernel's `struct input_event` records, go in as bytes and typed lines come out,
so any file descriptor carrying such records (a pipe in tests) can be read like the device.
"""

from __future__ import annotations

import errno
import os
import select
import struct
from collections.abc import Callable

from hardware.lines import Backoff, LineReader

# struct input_event on 64-bit Linux: struct timeval (two longs), __u16 type, __u16 code, __s32 value.
INPUT_EVENT = struct.Struct("llHHi")
EV_KEY = 1
KEY_DOWN = 1

SHIFT_KEYS = {42, 54}  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT
ENTER_KEYS = {28, 96}  # KEY_ENTER, KEY_KPENTER


def _us_layout() -> dict[int, tuple[str, str]]:
    """Key code -> (character, character with shift), the US layout wedge devices type in."""
    # Each row of the keyboard has consecutive key codes (linux/input-event-codes.h).
    rows = {
        2: ("1234567890-=", "!@#$%^&*()_+"),  # KEY_1 ...
        16: ("qwertyuiop[]", "QWERTYUIOP{}"),  # KEY_Q ...
        30: ("asdfghjkl;'`", 'ASDFGHJKL:"~'),  # KEY_A ...
        43: ("\\zxcvbnm,./", "|ZXCVBNM<>?"),  # KEY_BACKSLASH, KEY_Z ...
        71: ("789-456+1230.", "789-456+1230."),  # KEY_KP7 ... KEY_KPDOT (the numeric keypad)
    }
    layout = {
        first + offset: (plain, shifted)
        for first, (plains, shifteds) in rows.items()
        for offset, (plain, shifted) in enumerate(zip(plains, shifteds, strict=True))
    }
    layout[55] = ("*", "*")  # KEY_KPASTERISK
    layout[57] = (" ", " ")  # KEY_SPACE
    layout[98] = ("/", "/")  # KEY_KPSLASH
    return layout


US_LAYOUT = _us_layout()


class KeyEventDecoder:
    """Turns a stream of input_event records into the lines they type."""

    def __init__(self) -> None:
        self._pending = b""
        self._shift_keys_down: set[int] = set()
        self._typed: list[str] = []

    def feed(self, data: bytes) -> list[str]:
        data = self._pending + data
        whole = len(data) - len(data) % INPUT_EVENT.size
        self._pending = data[whole:]
        lines = []
        for _seconds, _microseconds, event_type, code, value in INPUT_EVENT.iter_unpack(data[:whole]):
            if event_type == EV_KEY and (line := self._key(code, value)) is not None:
                lines.append(line)
        return lines

    def _key(self, code: int, value: int) -> str | None:
        if code in SHIFT_KEYS:
            if value:
                self._shift_keys_down.add(code)
            else:
                self._shift_keys_down.discard(code)
            return None
        # Only presses type: releases (0) type nothing, and autorepeat (2) is a key held down,
        # which no reader does on purpose.
        if value != KEY_DOWN:
            return None
        if code in ENTER_KEYS:
            line = "".join(self._typed)
            self._typed.clear()
            return line or None
        if code in US_LAYOUT:
            self._typed.append(US_LAYOUT[code][1 if self._shift_keys_down else 0])
        return None


class InputEventLines:
    """The lines typed into an open file of input_event records (an input device, a pipe)."""

    def __init__(self, fd: int, close: Callable[[], None]):
        self._fd = fd
        self._close = close
        self._decoder = KeyEventDecoder()

    def read_lines(self, timeout: float) -> list[str]:
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return []
        try:
            data = os.read(self._fd, INPUT_EVENT.size * 64)
        except BlockingIOError:
            return []
        if not data:
            raise OSError(errno.ENODEV, "input device closed")
        return self._decoder.feed(data)

    def close(self) -> None:
        self._close()


def open_input_device(path: str) -> InputEventLines:
    """Open and grab an input device; raises OSError if it is missing, busy or not one."""
    # evdev is installed on Linux only (see pyproject.toml); the decoding above runs anywhere.
    import evdev

    device = evdev.InputDevice(path)
    try:
        device.grab()
    except OSError:
        device.close()
        raise
    return InputEventLines(device.fd, device.close)


class KeyboardWedgeReader(LineReader):
    """A keyboard-wedge reader or scanner, read from its input device (one line per Enter)."""

    def __init__(self, path: str, *, normalise: Callable[[str], str], backoff: Backoff = Backoff()):
        super().__init__(lambda: open_input_device(path), normalise, name=f"keyboard wedge {path}", backoff=backoff)
