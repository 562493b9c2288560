# H3 TEMPORARY STAND-IN: H1 owns this file; the lead drops this version at merge. It only
# writes the Command row and answers OFFLINE, so that the console's command page runs.
"""Remote commands to piles (stand-in until H1's bus-backed version lands)."""

from __future__ import annotations

from dataclasses import dataclass, field

from backend.charging.errors import ChargingError
from backend.charging.models import Command, CommandState, Pile
from backend.core.labels import LabelledEnum
from backend.core.timeutil import now


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
    pile = await Pile.get_or_none(box_id=box_id)
    if pile is None:
        raise ChargingError.PILE_NOT_FOUND.error()
    at = now()
    await Command.create(
        pile=pile,
        action=Action(action).value,
        payload=payload,
        admin_id=admin_id,
        person_id=person_id,
        state=CommandState.OFFLINE,
        sent_at=at,
        answered_at=at,
    )
    return Answer(CommandState.OFFLINE, {})
