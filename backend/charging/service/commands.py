# H2 TEMPORARY STAND-IN
"""Stand-in for H1's commands module (binding signatures only) so H2's code imports; dropped at merge."""

from __future__ import annotations

from dataclasses import dataclass

from backend.charging.models import CommandState
from backend.core.labels import LabelledEnum


class Action(LabelledEnum):
    REMOTE_START = "remote_start", "远程启动"
    REMOTE_STOP = "remote_stop", "远程停止"
    CHANGE_AVAILABILITY = "change_availability", "切换可用状态"
    RESET = "reset", "重启"
    UNLOCK_CONNECTOR = "unlock_connector", "解锁充电枪"
    GET_CONFIGURATION = "get_configuration", "读取配置"
    CHANGE_CONFIGURATION = "change_configuration", "修改配置"
    TRIGGER_MESSAGE = "trigger_message", "触发上报"
    SET_CHARGING_PROFILE = "set_charging_profile", "下发功率限制"


@dataclass(frozen=True)
class Answer:
    state: CommandState
    data: dict


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
    raise NotImplementedError("H1 writes commands.send")
