"""Keyboard-wedge readers: real input_event records decoded into lines, and the device opening."""

import asyncio
import os

import pytest

from hardware.lines import Backoff
from hardware.readers import UidFormat, scanned_text
from hardware.status import DeviceState
from hardware.wedge import INPUT_EVENT, InputEventLines, KeyboardWedgeReader, KeyEventDecoder
from tests.hardware.helpers import eventually

ecodes = pytest.importorskip("evdev.ecodes", reason="evdev (Linux only) names the kernel's key codes")

EV_SYN, EV_MSC, MSC_SCAN = ecodes.EV_SYN, ecodes.EV_MSC, ecodes.MSC_SCAN


def record(event_type: int, code: int, value: int) -> bytes:
    return INPUT_EVENT.pack(1_700_000_000, 250_000, event_type, code, value)


def keystroke(code: int, *, shift: bool = False) -> bytes:
    """What a USB keyboard device reports for one key press: scan code, key down, sync, key up, sync."""
    press = [
        record(EV_MSC, MSC_SCAN, 0x70004),
        record(ecodes.EV_KEY, code, 1),
        record(EV_SYN, 0, 0),
        record(ecodes.EV_KEY, code, 0),
        record(EV_SYN, 0, 0),
    ]
    if shift:
        press = [record(ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 1), *press, record(ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 0)]
    return b"".join(press)


def typed(text: str) -> bytes:
    """The records a wedge reader sends to type `text` and Enter (US layout)."""
    keys = {"-": "MINUS", ".": "DOT", "/": "SLASH", ":": "SEMICOLON"}
    return b"".join(
        keystroke(getattr(ecodes, f"KEY_{keys.get(char, char.upper())}"), shift=char.isupper() or char == ":")
        for char in text
    ) + keystroke(ecodes.KEY_ENTER)


def test_typed_uid_with_shifted_letters_is_one_line():
    assert KeyEventDecoder().feed(typed("04A1B2C3")) == ["04A1B2C3"]


def test_unshifted_letters_are_lower_case_and_punctuation_follows_the_us_layout():
    assert KeyEventDecoder().feed(typed("https://x.cn/p-1")) == ["https://x.cn/p-1"]


def test_keypad_digits_and_keypad_enter_type_a_line():
    keypad = [ecodes.KEY_KP2, ecodes.KEY_KP8, ecodes.KEY_KP0, ecodes.KEY_KPDOT, ecodes.KEY_KP9, ecodes.KEY_KPENTER]
    assert KeyEventDecoder().feed(b"".join(map(keystroke, keypad))) == ["280.9"]


def test_records_split_across_reads_are_joined():
    decoder = KeyEventDecoder()
    data = typed("12")
    assert decoder.feed(data[:37]) == [] and decoder.feed(data[37:]) == ["12"]


def test_autorepeat_and_unknown_keys_type_nothing():
    decoder = KeyEventDecoder()
    data = keystroke(ecodes.KEY_1) + record(ecodes.EV_KEY, ecodes.KEY_1, 2) + keystroke(ecodes.KEY_F5)
    assert decoder.feed(data + keystroke(ecodes.KEY_ENTER)) == ["1"]


def test_enter_alone_types_no_line():
    assert KeyEventDecoder().feed(keystroke(ecodes.KEY_ENTER)) == []


def test_lines_are_read_from_a_file_of_input_events():
    read_end, write_end = os.pipe()
    lines = InputEventLines(read_end, lambda: os.close(read_end))
    try:
        assert lines.read_lines(0.01) == []
        os.write(write_end, typed("c3b2a104"))
        assert lines.read_lines(1) == ["c3b2a104"]
        os.close(write_end)
        with pytest.raises(OSError):
            lines.read_lines(1)
    finally:
        lines.close()


async def test_wedge_reader_for_a_missing_device_is_disconnected(tmp_path):
    reader = KeyboardWedgeReader(str(tmp_path / "event3"), normalise=UidFormat(), backoff=Backoff(0.02, 0.1))
    pending = asyncio.create_task(reader.read())
    try:
        await eventually(lambda: "event3" in reader.status().message)
        assert reader.status().state is DeviceState.DISCONNECTED
    finally:
        pending.cancel()
        await reader.close()


async def test_wedge_reader_refuses_a_file_that_is_no_input_device(tmp_path):
    fifo = tmp_path / "event4"
    os.mkfifo(fifo)
    reader = KeyboardWedgeReader(str(fifo), normalise=scanned_text, backoff=Backoff(0.02, 0.1))
    pending = asyncio.create_task(reader.read())
    try:
        await eventually(lambda: "event4" in reader.status().message)
        assert not reader.status().usable
    finally:
        pending.cancel()
        await reader.close()


@pytest.mark.skipif(
    not os.access("/dev/uinput", os.W_OK), reason="no writable /dev/uinput to create a virtual keyboard"
)
async def test_wedge_reader_grabs_a_real_input_device_and_reads_what_it_types():
    import evdev

    keyboard = evdev.UInput({ecodes.EV_KEY: list(range(1, 100))}, name="houqin test wedge reader")
    reader = KeyboardWedgeReader(keyboard.device.path, normalise=UidFormat(), backoff=Backoff(0.02, 0.1))
    try:
        tap = asyncio.create_task(reader.read())
        await eventually(lambda: reader.status().state is DeviceState.OK)
        for chunk in INPUT_EVENT.iter_unpack(typed("04a1b2c3")):
            keyboard.write(*chunk[2:])
        keyboard.syn()
        assert await asyncio.wait_for(tap, 2) == "04A1B2C3"
    finally:
        await reader.close()
        keyboard.close()
