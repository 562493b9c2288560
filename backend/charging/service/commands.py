# H4 TEMPORARY STAND-IN (H1 owns this file: the lead keeps H1's and drops this one)
"""Stand-in for H1's commands: only the binding names starts.py imports."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.charging.models import CommandState
from backend.core.labels import LabelledEnum


class Action(LabelledEnum):
    REMOTE_START = "remote_start", "远程启动"
    REMOTE_STOP = "remote_stop", "远程停止"


@dataclass(frozen=True)
class Answer:
    state: CommandState
    data: dict = field(default_factory=dict)


async def send(
    redis,
    box_id: str,
    action: Action,
    payload: dict,
    *,
    admin_id: int | None = None,
    person_id: int | None = None,
    timeout: float | None = None,
) -> Answer:
    return Answer(CommandState.OFFLINE, {})
