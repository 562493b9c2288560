"""Commands to a pile (remote start and stop, availability, reset, unlock, configuration,
trigger, charging profile) in neutral terms: validated here, recorded as a Command row with the
pile's answer, and carried by the bus to whichever worker holds the pile's connection."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from backend.charging.config import ChargingSettings
from backend.charging.errors import ChargingError
from backend.charging.models import Command, CommandState, Pile
from backend.charging.service import bus
from backend.charging.service.bus import Answer
from backend.core.labels import LabelledEnum
from backend.core.timeutil import now
from backend.wallet.service import wallets

__all__ = ["Action", "Answer", "looks_secret", "recorded", "send", "time_out_stale", "validate"]

log = logging.getLogger(__name__)


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


# What a pile may be asked to send again (OCPP 1.6 MessageTrigger).
TRIGGERABLE = (
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
)
ID_TAG_LENGTH = 20
CONFIG_KEY_LENGTH = 50
CONFIG_VALUE_LENGTH = 500
MAX_LIMIT_W = 1_000_000
DEFAULTS = ChargingSettings()
# Configuration keys whose values are secrets (OCPP 1.6's AuthorizationKey is the pile's own
# connection password; vendors add their own keys and passwords): never set from here, never
# shown. "…Keys" (GetConfigurationMaxKeys) is a count, not a key.
SECRET_KEY = re.compile(r"password|passwd|secret|token|key$", re.IGNORECASE)
HIDDEN = "******"


def looks_secret(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def recorded(payload: dict) -> dict:
    """A command's payload as it may be kept and shown: a card number masked, a secret
    configuration value hidden."""
    kept = dict(payload)
    if isinstance(kept.get("id_tag"), str):
        kept["id_tag"] = wallets.mask_uid(kept["id_tag"])
    if isinstance(kept.get("key"), str) and "value" in kept and looks_secret(kept["key"]):
        kept["value"] = HIDDEN
    return kept


def _recorded_answer(data: dict) -> dict:
    """A pile's answer as it is kept: a GetConfiguration's secret values hidden (a pile should
    not return its AuthorizationKey, but some do)."""
    entries = data.get("configuration_key")
    if not isinstance(entries, list):
        return data
    hidden = [
        {**e, "value": HIDDEN} if isinstance(e, dict) and looks_secret(str(e.get("key", ""))) and "value" in e else e
        for e in entries
    ]
    return {**data, "configuration_key": hidden}


def _invalid(problem: str) -> Exception:
    return ChargingError.COMMAND_INVALID.error(problem=problem)


def _int(payload: dict, name: str, low: int, high: int, what: str) -> int:
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _invalid(f"{what}应为 {low} 到 {high} 之间的整数")
    return value


def _bool(payload: dict, name: str, what: str) -> bool:
    value = payload.get(name)
    if not isinstance(value, bool):
        raise _invalid(f"{what}应为是或否")
    return value


def _text(payload: dict, name: str, length: int, what: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > length:
        raise _invalid(f"{what}应为 1 到 {length} 个字符")
    return value.strip()


def _connector(payload: dict, connectors: int, *, whole_pile: bool) -> int:
    return _int(payload, "connector_id", 0 if whole_pile else 1, connectors, "枪号")


def validate(action: Action, payload: Any, connectors: int) -> dict:
    """The payload of `action` for a pile of `connectors` connectors, checked and reduced to the
    fields the action takes; raises COMMAND_INVALID(problem=...)."""
    if not isinstance(payload, dict):
        raise _invalid("参数应为对象")
    match action:
        case Action.REMOTE_START:
            clean: dict[str, Any] = {
                "connector_id": _connector(payload, connectors, whole_pile=False),
                "id_tag": _text(payload, "id_tag", ID_TAG_LENGTH, "卡号"),
            }
            if payload.get("limit_w") is not None:
                clean["limit_w"] = _int(payload, "limit_w", 1, MAX_LIMIT_W, "功率上限（瓦）")
            return clean
        case Action.REMOTE_STOP:
            return {"transaction_id": _int(payload, "transaction_id", 1, 2**31 - 1, "交易号")}
        case Action.CHANGE_AVAILABILITY:
            return {
                "connector_id": _connector(payload, connectors, whole_pile=True),
                "operative": _bool(payload, "operative", "是否可用"),
            }
        case Action.RESET:
            return {"hard": _bool(payload, "hard", "是否硬重启")}
        case Action.UNLOCK_CONNECTOR:
            return {"connector_id": _connector(payload, connectors, whole_pile=False)}
        case Action.GET_CONFIGURATION:
            keys = payload.get("keys", [])
            if not isinstance(keys, list) or len(keys) > 100:
                raise _invalid("配置项应为至多 100 个名称的列表")
            return {"keys": [_text({"key": k}, "key", CONFIG_KEY_LENGTH, "配置项名称") for k in keys]}
        case Action.CHANGE_CONFIGURATION:
            key = _text(payload, "key", CONFIG_KEY_LENGTH, "配置项名称")
            if looks_secret(key):
                # The server keeps only the digest of the password it issued: a password set here
                # would lock the pile out at its next connect, and be written down in clear.
                raise _invalid(f"“{key}”是密码类配置，不能在此修改；连接密码请用充电桩页的“重置连接密码”")
            return {"key": key, "value": _text(payload, "value", CONFIG_VALUE_LENGTH, "配置值")}
        case Action.TRIGGER_MESSAGE:
            message = payload.get("message")
            if message not in TRIGGERABLE:
                raise _invalid("触发上报的消息应为 " + "、".join(TRIGGERABLE) + " 之一")
            clean = {"message": message}
            if payload.get("connector_id") is not None:
                clean["connector_id"] = _connector(payload, connectors, whole_pile=False)
            return clean
        case Action.SET_CHARGING_PROFILE:
            clean = {
                "connector_id": _connector(payload, connectors, whole_pile=True),
                "limit_w": _int(payload, "limit_w", 0, MAX_LIMIT_W, "功率上限（瓦）"),
            }
            if payload.get("transaction_id") is not None:
                clean["transaction_id"] = _int(payload, "transaction_id", 1, 2**31 - 1, "交易号")
            return clean
    raise _invalid("未知的指令")


async def send(
    redis: aioredis.Redis,
    box_id: str,
    action: Action,
    payload: dict,
    *,
    admin_id: int | None = None,
    person_id: int | None = None,
    timeout: float | None = None,
    settings: ChargingSettings | None = None,
) -> Answer:
    """Send `action` to the pile `box_id` and wait for its answer (or the time-out); the Command
    row records who asked, what and how the pile answered. An answer other than ACCEPTED is
    returned, not raised: the caller knows what it means for its own request. The wait is
    `timeout`, else the running `settings`' command time-out (the caller passes what it was given:
    `settings_of(runtime.settings, "charging")`), else the documented default. The row keeps the
    payload as `recorded` shows it (no card number in clear). Redis failing on the way is a
    TIMED_OUT: the command may or may not have reached the pile."""
    pile = await Pile.get_or_none(box_id=box_id, is_active=True)
    if pile is None:
        raise ChargingError.PILE_NOT_FOUND.error()
    clean = validate(action, payload, pile.connectors)
    if timeout is None:
        timeout = (settings or DEFAULTS).command_timeout_seconds
    command = await Command.create(
        pile=pile, action=action.value, payload=recorded(clean), admin_id=admin_id, person_id=person_id, sent_at=now()
    )
    try:
        answer = await bus.deliver(redis, box_id, action.value, clean, timeout)
    except (RedisError, OSError) as exc:
        log.warning("charging: command %s to %s lost with Redis: %s", command.id, box_id, exc)
        answer = Answer(CommandState.TIMED_OUT)
    await Command.filter(id=command.id).update(
        state=answer.state, answer=_recorded_answer(answer.data), answered_at=now()
    )
    return answer


async def time_out_stale(at: datetime, settings: ChargingSettings) -> int:
    """Commands still SENT well past any wait for their answer (the worker that sent them died,
    or Redis failed under it) become TIMED_OUT; each once, by a conditional update. Returns how
    many."""
    # Twice the running time-out and the bus's transit: a caller's own longer wait is rare, and
    # its answer, if it still comes, overwrites this.
    limit = at - timedelta(seconds=2 * (settings.command_timeout_seconds + bus.TRANSIT_SECONDS))
    return await Command.filter(state=CommandState.SENT, sent_at__lt=limit).update(
        state=CommandState.TIMED_OUT, answered_at=at
    )
