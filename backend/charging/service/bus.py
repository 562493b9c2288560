"""The command bus: a command to a pile reaches the worker that holds the pile's connection,
wherever it was sent from, and the pile's answer comes back (or a clear time-out).

Each server worker is a node with a random name. A connected pile is a `Link` held by one node;
Redis key `charging:link:<box id>` names "<node>:<link id>" of the newest connection. A command
for a link held here runs directly; otherwise it is published on the holder's channel
`charging:node:<node>` and the answer awaited on `charging:reply:<request id>` (subscribed to
before publishing, so a fast answer is not missed). A holder that died leaves its key behind, but
nobody listens on its channel any more: a publish that reaches no subscriber means offline.

This module knows nothing of any pile protocol: a Link turns an action and its neutral payload
into its protocol's frames."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from backend.charging.models import CommandState
from backend.runtime import Runtime

log = logging.getLogger(__name__)

NODE = uuid.uuid4().hex
# Time a reply from another node may take beyond the pile's own time-out (two Redis round trips).
TRANSIT_SECONDS = 2.0
# How long `serve` waits before subscribing again after losing Redis.
RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Answer:
    """A pile's answer to a command: ACCEPTED, REJECTED (the pile's status in data), FAILED (the
    pile's protocol error in data), TIMED_OUT or OFFLINE."""

    state: CommandState
    data: dict = field(default_factory=dict)

    def dump(self) -> str:
        return json.dumps({"state": self.state.value, "data": self.data})

    @classmethod
    def load(cls, raw: str | bytes) -> Answer:
        parsed = json.loads(raw)
        return cls(CommandState(parsed["state"]), parsed["data"])


class Link(Protocol):
    """A pile's live connection in this worker, as a protocol adapter provides it."""

    async def execute(self, action: str, payload: dict, timeout: float) -> Answer: ...

    async def close(self) -> None: ...


# box id -> (link id, link) for the piles whose connection this worker holds.
_links: dict[str, tuple[str, Link]] = {}


# Strong references to the closings under way (the loop keeps only weak ones).
_closing: set[asyncio.Task] = set()


def _spawn(closing: Coroutine[Any, Any, None]) -> None:
    task = asyncio.create_task(closing)
    _closing.add(task)
    task.add_done_callback(_closing.discard)


def _key(box_id: str) -> str:
    return f"charging:link:{box_id}"


def _node_channel(node: str) -> str:
    return f"charging:node:{node}"


def _reply_channel(request_id: str) -> str:
    return f"charging:reply:{request_id}"


def _text(raw: str | bytes) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def holds(box_id: str) -> bool:
    """Whether this worker holds a connection of `box_id`."""
    return box_id in _links


async def attach(redis: aioredis.Redis, box_id: str, link: Link) -> str:
    """Make `link` the pile's connection; an older one (here or on another node) is closed, since
    the pile's newest connection is the one it is really using. Returns the link's id."""
    link_id = uuid.uuid4().hex
    older_here = _links.get(box_id)
    _links[box_id] = (link_id, link)
    if older_here is not None:
        # In the background: a link's close may wait for its peer (a close handshake with a
        # pile that lost power), and the new connection's first frames must not wait for that.
        _spawn(older_here[1].close())
    try:
        previous = await redis.getset(_key(box_id), f"{NODE}:{link_id}")
        # Not only when none was here: two connections of the box may have come up here and on
        # another node at once, and the other node's must go too.
        if previous is not None:
            node, _, older_id = _text(previous).partition(":")
            if node != NODE:
                await _publish_close(redis, node, box_id, older_id)
    except (RedisError, OSError) as exc:
        # Nothing a pile sends needs Redis: the link is held here only, and commands from this
        # worker still reach it; other workers find it once the pile reconnects.
        log.warning("charging bus: %s held here only, Redis failed: %s", box_id, exc)
    return link_id


async def _publish_close(redis: aioredis.Redis, node: str, box_id: str, link_id: str) -> int:
    return await redis.publish(_node_channel(node), json.dumps({"op": "close", "box_id": box_id, "link_id": link_id}))


async def close(redis: aioredis.Redis, box_id: str) -> None:
    """Close the pile's live connection, wherever it is held (its password was reset or it was
    disabled: it is refused when it connects again)."""
    local = _links.get(box_id)
    if local is not None:
        _spawn(local[1].close())
    holder = await redis.get(_key(box_id))
    if holder is None:
        return
    node, _, link_id = _text(holder).partition(":")
    if node != NODE:
        await _publish_close(redis, node, box_id, link_id)


async def detach(redis: aioredis.Redis, box_id: str, link: Link) -> None:
    """Forget `link` if it is still the pile's connection (a newer one may have replaced it)."""
    current = _links.get(box_id)
    if current is None or current[1] is not link:
        return
    del _links[box_id]
    mine = f"{NODE}:{current[0]}"
    # Delete the key only while it still names this link: a newer connection on another node
    # may have claimed it meanwhile.
    try:
        async with redis.pipeline(transaction=True) as pipe:
            await pipe.watch(_key(box_id))
            value = await pipe.get(_key(box_id))
            if value is not None and _text(value) == mine:
                pipe.multi()
                pipe.delete(_key(box_id))
                await pipe.execute()
    except WatchError:
        pass
    except (RedisError, OSError) as exc:
        # The key left behind names this node, which no longer holds the link: a command then
        # finds it offline, as it should.
        log.warning("charging bus: could not forget %s in Redis: %s", box_id, exc)


async def deliver(redis: aioredis.Redis, box_id: str, action: str, payload: dict, timeout: float) -> Answer:
    """Run `action` on the pile through whichever worker holds it."""
    local = _links.get(box_id)
    if local is not None:
        return await _execute(local[1], box_id, action, payload, timeout)
    holder = await redis.get(_key(box_id))
    if holder is None:
        return Answer(CommandState.OFFLINE)
    node, _, link_id = _text(holder).partition(":")
    if node == NODE:
        return Answer(CommandState.OFFLINE)  # the key outlived this worker's link
    request_id = uuid.uuid4().hex
    request = {
        "op": "execute",
        "box_id": box_id,
        "link_id": link_id,
        "action": str(action),
        "payload": payload,
        "timeout": timeout,
        "reply": request_id,
    }
    pubsub = redis.pubsub()
    try:
        await pubsub.subscribe(_reply_channel(request_id))
        if not await redis.publish(_node_channel(node), json.dumps(request)):
            return Answer(CommandState.OFFLINE)
        deadline = asyncio.get_running_loop().time() + timeout + TRANSIT_SECONDS
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message["type"] == "message":
                return Answer.load(message["data"])
        return Answer(CommandState.TIMED_OUT)
    finally:
        await pubsub.aclose()


async def _execute(link: Link, box_id: str, action: str, payload: dict, timeout: float) -> Answer:
    """The link's answer; a link that fails (a payload it cannot turn into a frame, a bug) is
    logged and answered FAILED at once rather than left for the caller to wait out."""
    try:
        return await link.execute(action, payload, timeout)
    except Exception:
        log.exception("charging bus: %s to %s failed", action, box_id)
        return Answer(CommandState.FAILED, {"error": "InternalError"})


async def _execute_for(redis: aioredis.Redis, request: dict) -> None:
    local = _links.get(request["box_id"])
    if local is None:
        answer = Answer(CommandState.OFFLINE)
    else:
        answer = await _execute(
            local[1], request["box_id"], request["action"], request["payload"], float(request["timeout"])
        )
    await redis.publish(_reply_channel(request["reply"]), answer.dump())


async def _close_for(request: dict) -> None:
    local = _links.get(request["box_id"])
    if local is not None and local[0] == request["link_id"]:
        await local[1].close()


async def serve(runtime: Runtime) -> None:
    """A server worker's part of the bus for its whole life: run the commands other workers send
    to the piles held here, and close links that a newer connection elsewhere replaced."""
    redis = runtime.redis
    running: set[asyncio.Task] = set()
    while True:
        pubsub = redis.pubsub()
        try:
            await pubsub.subscribe(_node_channel(NODE))
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=60)
                if message is None or message["type"] != "message":
                    continue
                request = json.loads(message["data"])
                work = _execute_for(redis, request) if request["op"] == "execute" else _close_for(request)
                # Each command runs beside the others: one slow pile must not hold up the rest.
                task = asyncio.create_task(work)
                running.add(task)
                task.add_done_callback(running.discard)
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError, ValueError, KeyError) as exc:
            log.warning("charging bus: %s; subscribing again", exc)
            await asyncio.sleep(RETRY_SECONDS)
        finally:
            await pubsub.aclose()
