"""The command bus between workers: a command reaches the worker holding the pile's connection
and its answer comes back; the newest connection of a box wins across workers. On PostgreSQL and
Redis a second server process is the other worker; on the embedded default (fakeredis, one
process) the test publishes as another worker would."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid

import httpx
import pytest
import websockets

from backend.charging.models import CommandState, Session
from backend.charging.service import bus
from backend.charging.service.commands import Action, send
from backend.core.redis import make_redis
from hardware.ocpp_pile import SimulatedPile, open_connection
from tests.fixtures.charging import PASSWORD
from tests.helpers.environment import free_port
from tests.helpers.ocpp import pile_client


async def _until(check, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached in time")


async def test_a_request_from_another_worker_reaches_the_pile_held_here(app, runtime, settings, charging_world):
    other = make_redis(settings.redis_url)  # another worker's own client
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        await _until(lambda: _now(bus.holds("CP-1001")))
        holder = (await other.get("charging:link:CP-1001")).decode()
        node, _, link_id = holder.partition(":")
        assert node == bus.NODE
        request_id = uuid.uuid4().hex
        replies = other.pubsub()
        await replies.subscribe(f"charging:reply:{request_id}")
        request = {
            "op": "execute",
            "box_id": "CP-1001",
            "link_id": link_id,
            "action": "reset",
            "payload": {"hard": True},
            "timeout": 5,
            "reply": request_id,
        }
        assert await other.publish(f"charging:node:{node}", json.dumps(request)) == 1
        reply = await _next_message(replies)
        assert json.loads(reply["data"]) == {"state": "accepted", "data": {"status": "Accepted"}}
        assert pile.resets == ["Hard"]
        await replies.aclose()
    await other.aclose()


async def test_a_pile_held_by_a_worker_that_died_is_offline(app, runtime, charging_world):
    await runtime.redis.set("charging:link:CP-1002", "deadbeef:0123")
    answer = await bus.deliver(runtime.redis, "CP-1002", "reset", {"hard": False}, 1)
    assert answer.state == CommandState.OFFLINE


async def _next_message(pubsub) -> dict:
    """The next published message (the subscription's confirmation comes back as None first)."""
    for _ in range(10):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if message is not None:
            return message
    raise AssertionError("nothing published")


async def _now(value: bool) -> bool:
    return value


@pytest.fixture
async def second_worker(settings, requires_postgres, requires_redis, tmp_path):
    """Another server process on the same database and Redis: another worker on another host."""
    port = free_port()
    env = {
        **os.environ,
        **settings.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WORKERS": "1",
        "HOUQIN_VAR_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(1200):
                if process.poll() is not None:
                    raise AssertionError(process.stderr.read().decode()[-3000:])
                try:
                    await http.get(base + "/", timeout=1)
                    break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        yield base.replace("http://", "ws://") + "/ocpp"
    finally:
        process.terminate()
        process.wait(timeout=30)


async def test_a_remote_start_from_one_worker_reaches_a_pile_held_by_another(
    app, runtime, charging_world, second_worker
):
    connection = await open_connection(second_worker, "CP-1001", PASSWORD)
    pile = SimulatedPile("CP-1001", connection)
    reader = asyncio.create_task(pile.start())
    try:
        await pile.boot()

        async def held_elsewhere() -> bool:
            holder = await runtime.redis.get("charging:link:CP-1001")
            return holder is not None and not holder.decode().startswith(bus.NODE)

        await _until(held_elsewhere)
        answer = await send(runtime.redis, "CP-1001", Action.REMOTE_START, {"connector_id": 1, "id_tag": "04A1B2C3"})
        assert answer.state == CommandState.ACCEPTED
        await _until(lambda: Session.filter(pile_id=charging_world.pile.id).exists())
        late = await send(runtime.redis, "CP-1001", Action.RESET, {"hard": False}, timeout=5)
        assert late.state == CommandState.ACCEPTED and pile.resets == ["Soft"]

        # The pile reconnects to this worker: the other worker closes its older connection.
        async with pile_client(app, "CP-1001", PASSWORD) as newer:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(reader, 10)
            unlock = await send(runtime.redis, "CP-1001", Action.UNLOCK_CONNECTOR, {"connector_id": 2})
            assert unlock.state == CommandState.ACCEPTED and newer.unlocked == [2]
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
        await connection.close()


async def test_a_holder_that_never_replies_times_out(app, runtime, settings, charging_world, monkeypatch):
    monkeypatch.setattr(bus, "TRANSIT_SECONDS", 0.2)
    silent = make_redis(settings.redis_url).pubsub()  # a worker that is alive but stuck
    await silent.subscribe("charging:node:stuck")
    await runtime.redis.set("charging:link:CP-1002", "stuck:0123")
    started = asyncio.get_running_loop().time()
    answer = await bus.deliver(runtime.redis, "CP-1002", "reset", {"hard": False}, 0.5)
    assert answer.state == CommandState.TIMED_OUT
    assert 0.6 <= asyncio.get_running_loop().time() - started < 3
    request = await _next_message(silent)
    assert json.loads(request["data"])["action"] == "reset"
    await silent.aclose()


class _Link:
    def __init__(self) -> None:
        self.closed = asyncio.Event()

    async def execute(self, action: str, payload: dict, timeout: float):
        return bus.Answer(CommandState.ACCEPTED)

    async def close(self) -> None:
        self.closed.set()


async def test_a_new_connection_closes_the_older_ones_here_and_on_another_worker_alike(app, runtime, settings):
    other_worker = make_redis(settings.redis_url).pubsub()
    await other_worker.subscribe("charging:node:elsewhere")
    here = _Link()
    await bus.attach(runtime.redis, "CP-RACE", here)
    # Meanwhile the box also came up on another worker, which claimed the key last.
    await runtime.redis.set("charging:link:CP-RACE", "elsewhere:0123")
    newest = _Link()
    try:
        await bus.attach(runtime.redis, "CP-RACE", newest)
        await asyncio.wait_for(here.closed.wait(), 5)
        request = json.loads((await _next_message(other_worker))["data"])
        assert request == {"op": "close", "box_id": "CP-RACE", "link_id": "0123"}
    finally:
        await bus.detach(runtime.redis, "CP-RACE", newest)
        await other_worker.aclose()
    assert not bus.holds("CP-RACE") and await runtime.redis.get("charging:link:CP-RACE") is None
