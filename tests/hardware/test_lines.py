"""The line machinery shared by card readers and scanners: splitting, backoff, supervision."""

import asyncio

from hardware.lines import Backoff, LineReader, LineSplitter
from hardware.status import DeviceState
from tests.hardware.helpers import eventually


def test_splitter_ends_lines_at_cr_lf_or_crlf_and_drops_empty_ones():
    splitter = LineSplitter()
    assert splitter.feed(b"04A1\r\nB2C3\rD4") == [b"04A1", b"B2C3"]
    assert splitter.feed(b"E5\n\n") == [b"D4E5"]


def test_splitter_forgets_noise_that_never_ends_a_line():
    splitter = LineSplitter()
    splitter.feed(b"\xff" * (LineSplitter.MAX_PENDING + 1))
    assert splitter.feed(b"04A1B2C3\n") == [b"04A1B2C3"]


def test_backoff_doubles_up_to_the_longest_delay():
    delays = Backoff(first=0.5, longest=3).delays()
    assert [next(delays) for _ in range(5)] == [0.5, 1, 2, 3, 3]


class FlakySource:
    """A line source whose driver raises something other than OSError on its first read."""

    opened = 0

    def __init__(self):
        FlakySource.opened += 1
        self.first = FlakySource.opened == 1

    def read_lines(self, timeout: float) -> list[str]:
        if self.first:
            raise RuntimeError("driver bug")
        return ["hello"]

    def close(self) -> None:
        pass


async def test_reader_survives_a_failing_driver_and_reopens_the_device():
    FlakySource.opened = 0
    reader = LineReader(FlakySource, str.upper, name="flaky", backoff=Backoff(0.01, 0.01))
    try:
        assert await asyncio.wait_for(reader.read(), 2) == "HELLO"
        assert FlakySource.opened == 2
    finally:
        await reader.close()
    assert reader.status().state is DeviceState.DISCONNECTED


async def test_reader_status_says_why_the_device_cannot_be_opened():
    def missing():
        raise FileNotFoundError(2, "No such file or directory", "/dev/ttyUSB9")

    reader = LineReader(missing, str, name="serial /dev/ttyUSB9", backoff=Backoff(0.01, 0.01))
    pending = asyncio.create_task(reader.read())
    try:
        await eventually(lambda: "No such file" in reader.status().message)
        assert reader.status().state is DeviceState.DISCONNECTED
        assert reader.status().message.startswith("serial /dev/ttyUSB9: ")
    finally:
        pending.cancel()
        await reader.close()
