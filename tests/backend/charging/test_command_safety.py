"""Remote commands kept safe: a console start only with a registered fleet card chosen from a
list (never a cadre's one-card or token), card numbers masked in the command history and the
audit, a pile's password never set or shown through its configuration, a command that fails or
loses Redis answered and recorded at once, rows left SENT timed out by the job, and a pile whose
password is reset or which is disabled losing its live connection."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from backend.charging.config import ChargingSettings
from backend.charging.models import Command, CommandState, Tag, TagKind
from backend.charging.service import bus, commands, piles
from backend.charging.service.commands import Action
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.fixtures.charging import CARD_UID
from tests.helpers import admin_token, bearer, console_admin
from tests.helpers.errors import assert_error

SETTINGS = ChargingSettings()


async def _refused(code: str, coro) -> AppError:
    with pytest.raises(AppError) as refused:
        await coro
    assert refused.value.code == code
    return refused.value


# ---- P1-3: a console start only with a fleet card ----------------------------------------------


async def test_a_console_start_with_a_cadres_card_or_token_is_refused_and_a_fleet_card_goes(runtime, charging_world):
    w = charging_world
    start = {"connector_id": 1}
    await Tag.create(id_tag="TOKEN0001", kind=TagKind.TOKEN, person_id=w.cadre_id)
    blocked = await Tag.create(id_tag="FLEET0002", kind=TagKind.FLEET, vehicle_id=w.vehicle.id, blocked=True)
    for id_tag in (CARD_UID, CARD_UID.lower(), "TOKEN0001", blocked.id_tag, "NOBODY01"):
        refused = await _refused(
            "charging.command_invalid",
            piles.command_pile(
                CLI_ACTOR, runtime.redis, w.pile.id, Action.REMOTE_START, {**start, "id_tag": id_tag}, settings=SETTINGS
            ),
        )
        assert "公务车充电卡" in refused.message
    assert not await Command.exists() and not await AuditEntry.filter(action="charging.send_command").exists()

    answer = await piles.command_pile(
        CLI_ACTOR, runtime.redis, w.pile.id, Action.REMOTE_START, {**start, "id_tag": w.fleet_card}, settings=SETTINGS
    )
    assert answer.state == CommandState.OFFLINE
    # The card number is kept masked on the command's row and in the audit.
    masked = {"connector_id": 1, "id_tag": "FLEE****01"}
    assert (await Command.get()).payload == masked
    assert (await AuditEntry.get(action="charging.send_command")).after["payload"] == masked
    assert await piles.fleet_cards_to_start() == [{"id_tag": w.fleet_card, "label": "浙AD12345（FLEE****01）"}]


async def test_the_console_form_offers_the_fleet_cards_and_refuses_a_typed_one_card(client, charging_world):
    w = charging_world
    csrf = await console_admin(client, "operator", ["charging.view_charging", "charging.send_commands"])
    form = (await client.get("/console/charging/commands")).text
    assert f'<option value="{w.fleet_card}"' in form and "浙AD12345（FLEE****01）" in form
    assert CARD_UID not in form
    typed = await client.post(
        "/console/charging/commands",
        data={
            "csrf_token": csrf,
            "pile_id": str(w.pile.id),
            "action": "remote_start",
            "connector_id": "1",
            "id_tag": CARD_UID,
        },
    )
    assert typed.status_code == 422 and "远程启动只能选用已登记且未停用的公务车充电卡" in typed.text
    assert not await Command.exists()


async def test_the_admin_api_refuses_a_start_on_a_cadres_card(client, charging_world):
    token = await admin_token(client, "operator", ["charging.view_charging", "charging.send_commands"])
    path = f"/admin/v1/charging/piles/{charging_world.pile.id}/commands"
    body = {"action": "remote_start", "connector_id": 1, "id_tag": CARD_UID}
    assert_error(await client.post(path, json=body, headers=bearer(token)), 422, "charging.command_invalid")
    sent = await client.post(path, json={**body, "id_tag": charging_world.fleet_card}, headers=bearer(token))
    assert sent.status_code == 200 and sent.json()["state"] == "offline"


# ---- P2-9: card numbers masked where commands are shown ----------------------------------------


async def test_the_command_history_shows_card_numbers_masked_even_on_older_rows(client, charging_world):
    await console_admin(client, "viewer", ["charging.view_charging"])
    # A row written before card numbers were masked on the way in.
    await Command.create(
        pile=charging_world.pile, action="remote_start", payload={"connector_id": 1, "id_tag": CARD_UID}, sent_at=now()
    )
    await Command.create(
        pile=charging_world.pile,
        action="change_configuration",
        payload={"key": "AuthorizationKey", "value": "0011223344556677"},
        sent_at=now(),
    )
    history = (await client.get("/console/charging/commands")).text
    assert CARD_UID not in history and "卡号：04A1****C3" in history
    assert "0011223344556677" not in history and "取值：******" in history


# ---- P2-10: no password through ChangeConfiguration ---------------------------------------------


@pytest.mark.parametrize("key", ["AuthorizationKey", "authorizationkey", "VendorPassword", "CpoSecret"])
async def test_a_secret_configuration_key_is_refused_pointing_to_the_password_reset(runtime, charging_world, key):
    change = {"key": key, "value": "0011223344556677"}
    refused = await _refused(
        "charging.command_invalid", commands.send(runtime.redis, "CP-1001", Action.CHANGE_CONFIGURATION, change)
    )
    assert "重置连接密码" in refused.message
    await _refused(
        "charging.command_invalid",
        piles.command_pile(
            CLI_ACTOR, runtime.redis, charging_world.pile.id, Action.CHANGE_CONFIGURATION, change, settings=SETTINGS
        ),
    )
    assert not await Command.exists()


def test_a_count_of_keys_is_not_a_secret_but_a_key_is():
    assert not commands.looks_secret("GetConfigurationMaxKeys") and not commands.looks_secret("HeartbeatInterval")
    assert commands.looks_secret("AuthorizationKey")


class _Link:
    def __init__(self, answer: bus.Answer | None = None, error: Exception | None = None) -> None:
        self.answer, self.error = answer, error
        self.closed = asyncio.Event()

    async def execute(self, action: str, payload: dict, timeout: float) -> bus.Answer:
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer

    async def close(self) -> None:
        self.closed.set()


async def test_a_secret_value_a_pile_returns_is_not_kept(runtime, charging_world):
    keys = [
        {"key": "AuthorizationKey", "readonly": False, "value": "0011"},
        {"key": "HeartbeatInterval", "readonly": False, "value": "60"},
    ]
    link = _Link(bus.Answer(CommandState.ACCEPTED, {"configuration_key": keys}))
    await bus.attach(runtime.redis, "CP-1001", link)
    try:
        answer = await commands.send(runtime.redis, "CP-1001", Action.GET_CONFIGURATION, {"keys": []})
    finally:
        await bus.detach(runtime.redis, "CP-1001", link)
    assert answer.data["configuration_key"][0]["value"] == "0011"  # the caller asked for it
    kept = (await Command.get()).answer["configuration_key"]
    assert kept[0]["value"] == "******" and kept[1]["value"] == "60"


# ---- P3-6, P3-7, P3-8: failures answered and recorded ------------------------------------------


async def test_a_link_that_fails_is_answered_failed_at_once_here_and_for_another_worker(runtime, charging_world):
    link = _Link(error=ValueError("no OCPP call for that"))
    link_id = await bus.attach(runtime.redis, "CP-1001", link)
    try:
        started = asyncio.get_running_loop().time()
        answer = await commands.send(runtime.redis, "CP-1001", Action.RESET, {"hard": False}, timeout=30)
        assert answer.state == CommandState.FAILED and asyncio.get_running_loop().time() - started < 5
        assert (await Command.get()).state == CommandState.FAILED
        # Asked by another worker over Redis: the reply is FAILED, not silence.
        replies = runtime.redis.pubsub()
        await replies.subscribe("charging:reply:r1")
        request = {"box_id": "CP-1001", "link_id": link_id, "action": "reset", "payload": {}, "timeout": 30}
        request["reply"] = "r1"
        await bus._execute_for(runtime.redis, request)
        message = None
        for _ in range(50):
            message = await replies.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                break
        await replies.aclose()
        assert message is not None and json.loads(message["data"])["state"] == "failed"
    finally:
        await bus.detach(runtime.redis, "CP-1001", link)


class _BrokenRedis:
    """Redis gone: every call fails as the client does when the server is down."""

    def __getattr__(self, name: str):
        async def fail(*_args, **_kwargs):
            raise RedisConnectionError("Connection refused")

        return fail

    def pipeline(self, **_kwargs):
        raise RedisConnectionError("Connection refused")


async def test_a_pile_connects_and_takes_commands_here_while_redis_is_down(charging_world):
    broken = _BrokenRedis()
    link = _Link(bus.Answer(CommandState.ACCEPTED, {"status": "Accepted"}))
    await bus.attach(broken, "CP-1001", link)  # logged, not raised
    try:
        assert bus.holds("CP-1001")
        answer = await commands.send(broken, "CP-1001", Action.RESET, {"hard": False})
        assert answer.state == CommandState.ACCEPTED
    finally:
        await bus.detach(broken, "CP-1001", link)
    assert not bus.holds("CP-1001")


async def test_a_command_whose_redis_fails_mid_delivery_is_recorded_timed_out(charging_world):
    answer = await commands.send(_BrokenRedis(), "CP-1002", Action.RESET, {"hard": False})
    assert answer.state == CommandState.TIMED_OUT
    command = await Command.get()
    assert command.state == CommandState.TIMED_OUT and command.answered_at is not None


async def test_the_job_times_out_commands_left_sent_past_their_wait_each_once(charging_world):
    at = now()
    pile = charging_world.pile
    old = await Command.create(pile=pile, action="reset", payload={}, sent_at=at - timedelta(minutes=5))
    recent = await Command.create(pile=pile, action="reset", payload={}, sent_at=at - timedelta(seconds=3))
    answered = await Command.create(
        pile=pile, action="reset", payload={}, sent_at=at - timedelta(hours=1), state=CommandState.ACCEPTED
    )
    assert await commands.time_out_stale(at, SETTINGS) == 1
    assert await commands.time_out_stale(at, SETTINGS) == 0
    assert (await Command.get(id=old.id)).state == CommandState.TIMED_OUT
    assert (await Command.get(id=recent.id)).state == CommandState.SENT
    assert (await Command.get(id=answered.id)).state == CommandState.ACCEPTED


# ---- P3-9: a reset password or a disabled pile closes its live connection -----------------------


async def test_a_password_reset_and_a_disable_close_the_piles_live_connection(runtime, charging_world):
    pile = charging_world.pile
    link = _Link()
    await bus.attach(runtime.redis, pile.box_id, link)
    try:
        await piles.reset_password(CLI_ACTOR, pile.id, redis=runtime.redis)
        await asyncio.wait_for(link.closed.wait(), 2)
        again = _Link()
        await bus.attach(runtime.redis, pile.box_id, again)
        await piles.set_active(CLI_ACTOR, pile.id, True, redis=runtime.redis)
        await asyncio.sleep(0.1)
        assert not again.closed.is_set()  # enabling leaves it be
        await piles.set_active(CLI_ACTOR, pile.id, False, redis=runtime.redis)
        await asyncio.wait_for(again.closed.wait(), 2)
    finally:
        await bus.detach(runtime.redis, pile.box_id, link)


async def test_a_disabled_piles_connection_held_by_another_worker_is_closed_there(runtime, charging_world):
    pile = charging_world.pile
    listener = runtime.redis.pubsub()
    await listener.subscribe("charging:node:elsewhere")
    await runtime.redis.set(f"charging:link:{pile.box_id}", "elsewhere:link-7")
    await piles.set_active(CLI_ACTOR, pile.id, False, redis=runtime.redis)
    message = None
    for _ in range(50):
        message = await listener.get_message(ignore_subscribe_messages=True, timeout=0.1)
        if message is not None:
            break
    await listener.aclose()
    assert message is not None
    assert json.loads(message["data"]) == {"op": "close", "box_id": pile.box_id, "link_id": "link-7"}


async def test_the_admin_api_closes_the_connection_of_a_pile_it_disables(client, runtime, charging_world):
    token = await admin_token(client, "manager", ["charging.view_charging", "charging.manage_piles"])
    link = _Link()
    await bus.attach(runtime.redis, charging_world.pile.box_id, link)
    try:
        path = f"/admin/v1/charging/piles/{charging_world.pile.id}/active"
        answer = await client.put(path, json={"is_active": False}, headers=bearer(token))
        assert answer.status_code == 200
        await asyncio.wait_for(link.closed.wait(), 2)
    finally:
        await bus.detach(runtime.redis, charging_world.pile.box_id, link)


# ---- the console's commands wait as the running settings say ----------------------------------


async def test_a_console_command_waits_as_the_running_settings_say(client, runtime, charging_world, monkeypatch):
    seen: list[ChargingSettings] = []

    async def recording(redis, box_id, action, payload, **kwargs):
        seen.append(kwargs["settings"])
        return commands.Answer(CommandState.OFFLINE)

    monkeypatch.setattr(commands, "send", recording)
    monkeypatch.setitem(runtime.settings.environ, "CHARGING_COMMAND_TIMEOUT_SECONDS", "3")
    token = await admin_token(client, "operator", ["charging.view_charging", "charging.send_commands"])
    path = f"/admin/v1/charging/piles/{charging_world.pile.id}/commands"
    assert (await client.post(path, json={"action": "reset"}, headers=bearer(token))).status_code == 200
    csrf = await console_admin(client, "console-operator", ["charging.view_charging", "charging.send_commands"])
    form = {"csrf_token": csrf, "pile_id": str(charging_world.pile.id), "action": "reset"}
    assert (await client.post("/console/charging/commands", data=form)).status_code == 302
    assert [s.command_timeout_seconds for s in seen] == [3, 3]
