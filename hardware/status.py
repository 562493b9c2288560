"""The health of a device as callers see it: one small value, never an exception.

Every adapter reports its state this way (the kiosk shows it and sends it with its heartbeat), so
an unplugged reader, a printer out of paper or an unreachable relay board is something the kiosk
displays, not something that crashes it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class DeviceState(enum.StrEnum):
    OK = "ok"
    PAPER_LOW = "paper_low"
    """The printer's near-end sensor is on: it still prints, but the roll needs changing soon."""
    PAPER_OUT = "paper_out"
    DISCONNECTED = "disconnected"
    """Unplugged, unreachable, refused or silent; adapters keep trying to reconnect."""
    ERROR = "error"
    """Reached, but it refused or failed the operation (see the message)."""


@dataclass(frozen=True)
class DeviceStatus:
    state: DeviceState
    message: str = ""

    @property
    def usable(self) -> bool:
        return self.state in (DeviceState.OK, DeviceState.PAPER_LOW)


OK = DeviceStatus(DeviceState.OK)
