"""The Redis replay epoch (backend.core.replay): a one-time mark lost with Redis's data, by a
flush or a restart or a failover to a replica that never got it, cannot be used again; what is
issued after the new epoch is marked and accepted once. Runs on the embedded default and, with
REDIS_URL, on a real Redis."""

import time

import pytest

from backend.core import replay
from tests.helpers.replay import epoch_started_ms

LEAD_MS = 300_000
TTL_MS = 660_000


def now_ms() -> int:
    return int(time.time() * 1000)


async def use(redis, key: str, issued_ms: int, value: str = "a", lead_ms: int = LEAD_MS) -> replay.Mark:
    return await replay.first_use(redis, key, value, ttl_ms=TTL_MS, issued_ms=issued_ms, lead_ms=lead_ms)


async def test_a_mark_lost_with_the_data_cannot_be_used_again(runtime):
    redis, issued = runtime.redis, now_ms()
    assert (await use(redis, "t:mark", issued)).fresh
    await redis.flushdb()
    with pytest.raises(replay.BeforeEpoch) as refused:
        await use(redis, "t:mark", issued)
    assert refused.value.started_ms >= issued and refused.value.not_before_ms == refused.value.started_ms + LEAD_MS
    assert not await redis.exists("t:mark")


async def test_a_mark_lost_in_a_failover_cannot_be_used_again(runtime):
    """The promoted replica holds the epoch as replicated, under the old master's name, and not
    the mark written just before the old master died."""
    redis, issued = runtime.redis, now_ms()
    assert (await use(redis, "t:mark", issued)).fresh
    started = await epoch_started_ms(redis)
    await redis.delete("t:mark")
    await redis.set(replay.EPOCH_KEY, b"0" * 40 + b":" + str(started).encode())
    with pytest.raises(replay.BeforeEpoch) as refused:
        await use(redis, "t:mark", issued)
    assert refused.value.started_ms > started
    assert await epoch_started_ms(redis) == refused.value.started_ms


async def test_an_issuer_whose_clock_runs_ahead_gets_no_second_use(runtime):
    """Stamped four minutes ahead, accepted, lost: the stamp is after the loss, not after the
    new epoch plus the lead."""
    redis = runtime.redis
    ahead = now_ms() + 240_000
    assert (await use(redis, "t:ahead", ahead)).fresh
    await redis.flushdb()
    with pytest.raises(replay.BeforeEpoch):
        await use(redis, "t:ahead", ahead)


async def test_what_is_issued_after_the_new_epoch_is_accepted_once(runtime):
    redis = runtime.redis
    await redis.flushdb()
    with pytest.raises(replay.BeforeEpoch) as refused:
        await use(redis, "t:old", now_ms())
    first_stamp = refused.value.not_before_ms
    assert (await use(redis, "t:new", first_stamp, value="mine")) == replay.Mark(True, b"mine")
    assert (await use(redis, "t:new", first_stamp, value="theirs")) == replay.Mark(False, b"mine")
    assert await epoch_started_ms(redis) == refused.value.started_ms


async def test_a_settled_epoch_judges_by_the_mark_alone(runtime):
    redis, issued = runtime.redis, now_ms()
    assert (await use(redis, "t:mark", issued)).fresh
    assert not (await use(redis, "t:mark", issued)).fresh
    assert 0 < await redis.pttl("t:mark") <= TTL_MS


async def test_on_a_real_redis_the_epoch_is_named_after_its_run_id(requires_redis, runtime):
    """A restart or a promoted replica has another run_id: the epoch begins again there."""
    redis = runtime.redis
    await redis.flushdb()
    with pytest.raises(replay.BeforeEpoch):
        await use(redis, "t:mark", now_ms())
    run_id = (await redis.info("server"))["run_id"]
    assert (await redis.get(replay.EPOCH_KEY)).startswith(run_id.encode() + b":")
