"""Commands to a pile over OCPP: every action round-trips through the simulator, the Command row
records the answer, a time-out's late answer is not taken for the next command's, a box's newest
connection wins and a half-open socket is closed by the ping time-out."""

from __future__ import annotations

import asyncio

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16.enums import Action as OcppAction

from backend.charging.config import ChargingSettings
from backend.charging.models import Command, CommandState
from backend.charging.service import background, bus
from backend.charging.service.commands import Action, send
from backend.core.errors import AppError
from hardware.ocpp_pile import SimulatedPile, _result, open_connection
from tests.fixtures.charging import PASSWORD
from tests.helpers.ocpp import ocpp_url, pile_client


async def _until(check, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def _attached() -> bool:
    return bus.holds("CP-1001")


async def test_every_command_round_trips_and_is_recorded(app, runtime, charging_world):
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        await _until(_attached)
        redis = runtime.redis
        started = await send(
            redis, "CP-1001", Action.REMOTE_START, {"connector_id": 1, "id_tag": "04A1B2C3", "limit_w": 3500}
        )
        assert started.state == CommandState.ACCEPTED
        await _until(lambda: _true(pile.plugs[1].transaction is not None and pile.plugs[1].transaction.id is not None))
        transaction_id = pile.plugs[1].transaction.id
        # The start makes the site share its power again: the session's share (the whole pile's
        # 7 kW under the site's 22 kW) is capped by the start's own 3.5 kW, sent as its profile.
        await background.drain()
        rebalanced = await Command.filter(action="set_charging_profile").get()
        assert rebalanced.payload == {"connector_id": 1, "transaction_id": transaction_id, "limit_w": 3500}
        assert rebalanced.state == CommandState.ACCEPTED and pile.plugs[1].limit_w == 3500
        profile = await send(
            redis,
            "CP-1001",
            Action.SET_CHARGING_PROFILE,
            {"connector_id": 1, "transaction_id": transaction_id, "limit_w": 2000},
        )
        assert profile.state == CommandState.ACCEPTED and pile.plugs[1].limit_w == 2000
        config = await send(redis, "CP-1001", Action.GET_CONFIGURATION, {"keys": ["HeartbeatInterval", "Nope"]})
        assert config.state == CommandState.ACCEPTED
        assert config.data["configuration_key"][0]["value"] == "60" and config.data["unknown_key"] == ["Nope"]
        changed = await send(redis, "CP-1001", Action.CHANGE_CONFIGURATION, {"key": "HeartbeatInterval", "value": "30"})
        assert changed.state == CommandState.ACCEPTED and pile.config["HeartbeatInterval"] == "30"
        refused = await send(redis, "CP-1001", Action.CHANGE_CONFIGURATION, {"key": "NumberOfConnectors", "value": "9"})
        assert refused.state == CommandState.REJECTED and refused.data == {"status": "Rejected"}
        trigger = await send(redis, "CP-1001", Action.TRIGGER_MESSAGE, {"message": "Heartbeat"})
        assert trigger.state == CommandState.ACCEPTED
        unlock = await send(redis, "CP-1001", Action.UNLOCK_CONNECTOR, {"connector_id": 2})
        assert unlock.data == {"status": "Unlocked"} and pile.unlocked == [2]
        availability = await send(redis, "CP-1001", Action.CHANGE_AVAILABILITY, {"connector_id": 2, "operative": False})
        assert availability.state == CommandState.ACCEPTED and not pile.plugs[2].available
        stop = await send(redis, "CP-1001", Action.REMOTE_STOP, {"transaction_id": transaction_id}, admin_id=None)
        assert stop.state == CommandState.ACCEPTED
        await _until(lambda: _true(pile.plugs[1].transaction is None))
        again = await send(redis, "CP-1001", Action.REMOTE_STOP, {"transaction_id": transaction_id})
        assert again.state == CommandState.REJECTED
        reset = await send(redis, "CP-1001", Action.RESET, {"hard": True})
        assert reset.state == CommandState.ACCEPTED and pile.resets == ["Hard"]

    commands = await Command.all().order_by("id")
    assert [c.action for c in commands][:3] == ["remote_start", "set_charging_profile", "set_charging_profile"]
    assert all(c.answered_at is not None for c in commands)
    # The pile got the card's number; the row keeps it masked (a UID-only card is copied from it).
    assert commands[0].payload == {"connector_id": 1, "id_tag": "04A1****C3", "limit_w": 3500}
    assert commands[0].state == CommandState.ACCEPTED


async def _true(value: bool) -> bool:
    return value


@pytest.mark.parametrize(
    ("action", "payload", "problem"),
    [
        (Action.REMOTE_START, {"connector_id": 3, "id_tag": "A"}, "枪号应为 1 到 2 之间的整数"),
        (Action.REMOTE_START, {"connector_id": 1, "id_tag": "X" * 21}, "卡号应为 1 到 20 个字符"),
        (Action.REMOTE_STOP, {"transaction_id": "7"}, "交易号"),
        (Action.CHANGE_AVAILABILITY, {"connector_id": 0, "operative": "yes"}, "是否可用应为是或否"),
        (Action.TRIGGER_MESSAGE, {"message": "StartTransaction"}, "触发上报的消息"),
        (Action.SET_CHARGING_PROFILE, {"connector_id": 1, "limit_w": -1}, "功率上限"),
        (Action.GET_CONFIGURATION, {"keys": "HeartbeatInterval"}, "配置项"),
    ],
)
async def test_an_invalid_command_is_refused_before_anything_is_sent(
    app, runtime, charging_world, action, payload, problem
):
    with pytest.raises(AppError) as refused:
        await send(runtime.redis, "CP-1001", action, payload)
    assert refused.value.code == "charging.command_invalid"
    assert problem in refused.value.message
    assert await Command.all().count() == 0


async def test_a_command_to_a_pile_not_connected_is_offline(app, runtime, charging_world):
    answer = await send(runtime.redis, "CP-1002", Action.RESET, {"hard": False})
    assert answer.state == CommandState.OFFLINE
    assert (await Command.get()).state == CommandState.OFFLINE


class SlowConfigurationPile(SimulatedPile):
    """Answers GetConfiguration only after a while."""

    @on(OcppAction.get_configuration)
    async def on_get_configuration(self, key: list[str] | None = None):
        await asyncio.sleep(2.0)
        return _result("GetConfiguration", configuration_key=[{"key": "Late", "readonly": True, "value": "1"}])


async def test_a_timed_out_commands_late_answer_is_not_taken_for_the_next_ones(app, runtime, charging_world):
    async with pile_client(app, "CP-1001", PASSWORD, cls=SlowConfigurationPile):
        await _until(_attached)
        late = await send(runtime.redis, "CP-1001", Action.GET_CONFIGURATION, {"keys": []}, timeout=0.3)
        assert late.state == CommandState.TIMED_OUT
        # The pile answers the late call first, then this one: each answer goes to its own call.
        unlock = await send(runtime.redis, "CP-1001", Action.UNLOCK_CONNECTOR, {"connector_id": 1}, timeout=5)
        assert unlock.state == CommandState.ACCEPTED and unlock.data == {"status": "Unlocked"}
    assert [c.state for c in await Command.all().order_by("id")] == [CommandState.TIMED_OUT, CommandState.ACCEPTED]


async def test_a_commands_wait_is_the_callers_settings_never_the_process_environment(
    app, runtime, charging_world, monkeypatch
):
    # Settings come from the runtime the caller was given; the process environment is not read.
    monkeypatch.setenv("CHARGING_COMMAND_TIMEOUT_SECONDS", "not a number")
    async with pile_client(app, "CP-1001", PASSWORD, cls=SlowConfigurationPile):
        await _until(_attached)
        short = ChargingSettings(command_timeout_seconds=1)
        answer = await send(runtime.redis, "CP-1001", Action.GET_CONFIGURATION, {"keys": []}, settings=short)
        # The pile answers after 2 s: within the default 10 s, past these settings' 1 s.
        assert answer.state == CommandState.TIMED_OUT


async def test_a_boxs_newest_connection_wins(app, runtime, charging_world):
    older = await open_connection(ocpp_url(app), "CP-1001", PASSWORD)
    async with pile_client(app, "CP-1001", PASSWORD) as newer:
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(older.recv(), 5)
        answer = await send(runtime.redis, "CP-1001", Action.RESET, {"hard": False})
        assert answer.state == CommandState.ACCEPTED and newer.resets == ["Soft"]
        assert (await runtime.redis.get("charging:link:CP-1001")).decode().startswith(bus.NODE + ":")
    # Its last connection gone, nobody holds the box any more.
    await _until(lambda: _true(not bus.holds("CP-1001")))
    await _until(lambda: _none(runtime.redis.get("charging:link:CP-1001")))


async def _none(pending) -> bool:
    return await pending is None


async def test_a_half_open_socket_is_closed_when_its_pong_does_not_come(app, runtime, charging_world, monkeypatch):
    monkeypatch.setitem(runtime.settings.environ, "CHARGING_PING_SECONDS", "2")
    connection = await open_connection(ocpp_url(app), "CP-1001", PASSWORD)
    await _until(_attached)
    # A power cut: the pile's side neither reads nor answers pings any more.
    connection.transport.pause_reading()
    await _until(lambda: _true(not bus.holds("CP-1001")), seconds=8)
    answer = await send(runtime.redis, "CP-1001", Action.RESET, {"hard": False})
    assert answer.state == CommandState.OFFLINE
    connection.transport.abort()


async def test_a_pile_back_after_a_power_cut_is_answered_at_once_though_its_old_socket_is_half_open(
    app, runtime, charging_world
):
    older = await open_connection(ocpp_url(app), "CP-1001", PASSWORD)
    await _until(_attached)
    older.transport.pause_reading()  # the old socket is dead but nobody has noticed yet
    async with pile_client(app, "CP-1001", PASSWORD) as newer:
        # Closing the old socket does not hold up the new one.
        boot = await asyncio.wait_for(newer.boot(), 2)
        assert boot.status == "Accepted"
        answer = await send(runtime.redis, "CP-1001", Action.RESET, {"hard": False}, timeout=2)
        assert answer.state == CommandState.ACCEPTED and newer.resets == ["Soft"]
    older.transport.abort()
