"""One-time marks that stop a replay, and the Redis epoch that keeps them sound when Redis loses data.

A device request's nonce, a spent pay code and a camera push's signature are each remembered in
Redis for as long as what they guard could be accepted again. Redis can lose them: restarted
without persistence, restored from a snapshot older than the last writes, or replaced by a
replica that Sentinel promoted before the last writes reached it (replication is asynchronous).
A request captured before such a loss would then be accepted a second time.

The epoch closes that window. The key `houqin:epoch` holds who holds the current dataset (the
server's `run_id` from INFO: new at every restart, another one on a promoted replica; the
in-process server of the embedded default has no INFO and is this process, so its identity is
the process's) and when the dataset's epoch began. Every mark is set by one script that also
reads the epoch, in one round trip: a missing epoch, or one written by another server, begins a
new one now. Whatever was issued before `epoch + lead` is then refused, `lead` being how far
ahead of the server's clock its issuer may be: anything accepted before the loss was issued
before that point, so none of it gets through again, and anything issued after it has its mark
in the new dataset. Nothing here is cached by the backend: each use asks the server that answers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from backend.core.redis import server_identity

EPOCH_KEY = "houqin:epoch"

# KEYS: epoch, mark. ARGV: identity ("" = ask INFO), now ms, issued ms, lead ms, mark value, mark ttl ms.
# Returns {"fresh", value} when the mark was set, {"seen", held value} when it was already,
# {"epoch", started ms} when what was issued predates the epoch (nothing is set then).
_FIRST_USE = """
local identity = ARGV[1]
if identity == '' then
  identity = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
end
local started
local epoch = redis.call('GET', KEYS[1])
if epoch then
  local holder, at = string.match(epoch, '^(%x+):(%d+)$')
  if holder == identity then
    started = at
  end
end
if not started then
  started = ARGV[2]
  redis.call('SET', KEYS[1], identity .. ':' .. started)
end
if tonumber(ARGV[3]) < tonumber(started) + tonumber(ARGV[4]) then
  return {'epoch', started}
end
if redis.call('SET', KEYS[2], ARGV[5], 'NX', 'PX', ARGV[6]) then
  return {'fresh', ARGV[5]}
end
return {'seen', redis.call('GET', KEYS[2])}
"""


class BeforeEpoch(Exception):
    """What was presented was issued before the current epoch could vouch for it."""

    def __init__(self, started_ms: int, lead_ms: int, now_ms: int):
        super().__init__(f"issued before the epoch that began at {started_ms} ms (+{lead_ms} ms)")
        self.started_ms = started_ms
        self.not_before_ms = started_ms + lead_ms
        self.now_ms = now_ms


@dataclass(frozen=True)
class Mark:
    fresh: bool  # set by this use; otherwise it was already there
    held: bytes  # the value the mark holds (this use's own when fresh)


async def first_use(
    redis: aioredis.Redis,
    key: str,
    value: str,
    *,
    ttl_ms: int,
    issued_ms: int,
    lead_ms: int,
    now_ms: int | None = None,
) -> Mark:
    """Set the one-time mark `key` to `value` for `ttl_ms` unless it is set already, once the
    epoch vouches for something issued at `issued_ms` by an issuer whose clock may run `lead_ms`
    ahead of ours; raises BeforeEpoch otherwise."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    script = redis.register_script(_FIRST_USE)
    outcome, held = await script(
        keys=[EPOCH_KEY, key], args=[server_identity(redis), now_ms, issued_ms, lead_ms, value, ttl_ms]
    )
    if outcome == b"epoch":
        raise BeforeEpoch(int(held), lead_ms, now_ms)
    return Mark(outcome == b"fresh", held)
