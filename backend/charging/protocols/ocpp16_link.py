"""Commands to an OCPP 1.6J pile: the bus's neutral actions turned into the pile's CALLs, and its
answers turned back into `Answer`s."""

from __future__ import annotations

import asyncio
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.v16 import ChargePoint, call
from sanic.exceptions import WebsocketClosed
from websockets.exceptions import ConnectionClosed

from backend.charging.models import CommandState
from backend.charging.service.bus import Answer
from backend.charging.service.commands import Action

# The answers that mean the pile will do (or has done) what it was asked.
DONE = {"Accepted", "Unlocked", "Scheduled", "RebootRequired"}
# One profile id per purpose, so a new limit replaces the last one instead of stacking up.
TX_PROFILE_ID = 1
DEFAULT_PROFILE_ID = 2


def _profile(limit_w: int, purpose: str, transaction_id: int | None = None) -> dict:
    profile: dict[str, Any] = {
        "charging_profile_id": TX_PROFILE_ID if purpose == "TxProfile" else DEFAULT_PROFILE_ID,
        "stack_level": 0,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "W",
            "charging_schedule_period": [{"start_period": 0, "limit": limit_w}],
        },
    }
    if transaction_id:
        profile["transaction_id"] = transaction_id
    return profile


def to_call(action: Action, payload: dict) -> Any:
    """The OCPP CALL of a validated neutral payload (see commands.validate)."""
    match action:
        case Action.REMOTE_START:
            limit = payload.get("limit_w")
            return call.RemoteStartTransaction(
                id_tag=payload["id_tag"],
                connector_id=payload["connector_id"],
                charging_profile=_profile(limit, "TxProfile") if limit else None,
            )
        case Action.REMOTE_STOP:
            return call.RemoteStopTransaction(transaction_id=payload["transaction_id"])
        case Action.CHANGE_AVAILABILITY:
            return call.ChangeAvailability(
                connector_id=payload["connector_id"], type="Operative" if payload["operative"] else "Inoperative"
            )
        case Action.RESET:
            return call.Reset(type="Hard" if payload["hard"] else "Soft")
        case Action.UNLOCK_CONNECTOR:
            return call.UnlockConnector(connector_id=payload["connector_id"])
        case Action.GET_CONFIGURATION:
            return call.GetConfiguration(key=payload["keys"] or None)
        case Action.CHANGE_CONFIGURATION:
            return call.ChangeConfiguration(key=payload["key"], value=payload["value"])
        case Action.TRIGGER_MESSAGE:
            return call.TriggerMessage(requested_message=payload["message"], connector_id=payload.get("connector_id"))
        case Action.SET_CHARGING_PROFILE:
            return call.SetChargingProfile(
                connector_id=payload["connector_id"],
                cs_charging_profiles=_profile(
                    payload["limit_w"],
                    "TxProfile" if payload.get("transaction_id") else "TxDefaultProfile",
                    payload.get("transaction_id"),
                ),
            )
    raise ValueError(f"no OCPP 1.6 call for {action!r}")


def to_answer(result: Any) -> Answer:
    data = {k: v for k, v in vars(result).items() if v is not None}
    status = data.get("status")
    if status is None or status in DONE:  # GetConfiguration answers with the keys, no status
        return Answer(CommandState.ACCEPTED, data)
    return Answer(CommandState.REJECTED, data)


class OcppLink:
    """The bus's Link to a pile connected here over OCPP 1.6J."""

    def __init__(self, point: ChargePoint, close: Any) -> None:
        self.point = point
        self._close = close

    async def execute(self, action: str, payload: dict, timeout: float) -> Answer:
        try:
            # The library sends one CALL at a time and matches the answer by its unique id: a
            # CALL given up on here leaves its late answer to be dropped, not taken for the next.
            result = await asyncio.wait_for(self.point.call(to_call(Action(action), payload), suppress=False), timeout)
        except TimeoutError:
            return Answer(CommandState.TIMED_OUT)
        except OCPPError as error:
            return Answer(CommandState.FAILED, {"error": error.code, "description": error.description})
        except (ConnectionClosed, WebsocketClosed):
            return Answer(CommandState.OFFLINE)
        return to_answer(result)

    async def close(self) -> None:
        await self._close()
