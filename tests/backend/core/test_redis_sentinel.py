"""Every Redis client of the platform works through a Sentinel URL, and the same client objects
work again once Sentinel has promoted the replica of a master killed with SIGKILL.

The URL lists a Sentinel that is not running first: clients ask the next one."""

import asyncio
import time
import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from taskiq import BrokerMessage

from backend.core.errors import AppError, CommonError
from backend.core.jobs import make_broker
from backend.core.ratelimit import RateLimiter
from backend.core.redis import POOL_WAIT_SECONDS, make_redis, make_sync_redis
from bench.common import free_port

DB = 3
# Sentinel declares the master down after 0.5 s; the election and promotion take a few seconds
# more. The bound is loose on purpose: it proves the clients come back, not how fast.
FAILOVER_BOUND_SECONDS = 30


@pytest.fixture(scope="module")
def sentinel_url(redis_sentinel) -> str:
    return redis_sentinel.url(DB, extra_sentinels=(f"127.0.0.1:{free_port()}",))


def _message(body: bytes) -> BrokerMessage:
    return BrokerMessage(task_id=uuid.uuid4().hex, task_name="sentinel.test", message=body, labels={})


async def _receive(stream, body: bytes) -> None:
    """Read a broker's `listen()` until `body` arrives, acknowledging what is read."""
    while True:
        message = await asyncio.wait_for(anext(stream), timeout=FAILOVER_BOUND_SECONDS)
        await message.ack()
        if message.data == body:
            return


async def _next_message(pubsub) -> dict | None:
    """The next published message; get_message answers None for the subscription's own notice."""
    deadline = time.monotonic() + 5
    while (left := deadline - time.monotonic()) > 0:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
        if message is not None:
            return message
    return None


async def _eventually(write, what: str) -> float:
    """Retry `write` while Redis refuses connections; the seconds it took to succeed."""
    started = time.monotonic()
    while True:
        try:
            result = write()
            if asyncio.iscoroutine(result):
                await result
            return time.monotonic() - started
        except (RedisConnectionError, ConnectionError):
            if time.monotonic() - started > FAILOVER_BOUND_SECONDS:
                raise AssertionError(f"{what} did not work again within {FAILOVER_BOUND_SECONDS} s") from None
            await asyncio.sleep(0.1)


async def test_async_client_writes_to_the_masters_database_named_in_the_url(redis_sentinel, sentinel_url):
    client = make_redis(sentinel_url)
    try:
        await client.set("sentinel:async", "1")
    finally:
        await client.aclose()
    master = redis_sentinel.master_port()
    assert redis_sentinel.node(master, db=DB).get("sentinel:async") == b"1"
    assert redis_sentinel.node(master).get("sentinel:async") is None


async def test_sync_client_for_wechatpy_reads_what_the_async_client_wrote(sentinel_url):
    client = make_redis(sentinel_url)
    try:
        await client.set("sentinel:shared", "token")
    finally:
        await client.aclose()
    assert make_sync_redis(sentinel_url).get("sentinel:shared") == b"token"


async def test_rate_limiter_counts_through_sentinel(sentinel_url):
    limiter = RateLimiter(sentinel_url)
    key = uuid.uuid4().hex
    await limiter.hit("2/minute", key)
    await limiter.hit("2/minute", key)
    with pytest.raises(AppError) as refused:
        await limiter.hit("2/minute", key)
    assert refused.value.code == CommonError.RATE_LIMITED.value[0]


async def test_job_broker_delivers_through_sentinel(sentinel_url):
    broker = make_broker(sentinel_url)
    await broker.startup()
    try:
        await broker.kick(_message(b"job-through-sentinel"))
        stream = broker.listen()
        await _receive(stream, b"job-through-sentinel")
        await stream.aclose()
    finally:
        await broker.shutdown()


async def test_pubsub_delivers_through_sentinel(sentinel_url):
    client = make_redis(sentinel_url)
    try:
        pubsub = client.pubsub()
        await pubsub.subscribe("sentinel:channel")
        assert await client.publish("sentinel:channel", "hello") == 1
        message = await _next_message(pubsub)
        await pubsub.aclose()
    finally:
        await client.aclose()
    assert message is not None and message["data"] == b"hello"


async def test_a_burst_larger_than_the_sentinel_pool_waits_for_connections_instead_of_failing(sentinel_url):
    client = make_redis(sentinel_url)
    size = client.connection_pool.max_connections
    assert size <= 100, "the pool has no bound to wait at"
    try:
        started = time.monotonic()
        # BLPOP on an empty key holds its connection for the whole timeout: twice the pool's
        # size takes two rounds when the pool is bounded and waits.
        answers = await asyncio.gather(*(client.blpop([f"pool-{i}"], timeout=0.3) for i in range(2 * size)))
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
    assert answers == [None] * (2 * size)
    assert 0.6 <= elapsed < POOL_WAIT_SECONDS


async def test_clients_work_again_after_sentinel_promotes_the_replica_of_a_killed_master(redis_sentinel, sentinel_url):
    # given: every kind of client, each having talked to the master already
    client, sync_client = make_redis(sentinel_url), make_sync_redis(sentinel_url)
    limiter, broker = RateLimiter(sentinel_url), make_broker(sentinel_url)
    await broker.startup()
    await client.set("failover:before", "1")
    sync_client.set("failover:before-sync", "1")
    await limiter.hit("100/minute", "failover")
    await broker.kick(_message(b"before-failover"))
    worker_stream = broker.listen()  # a worker's listening, kept across the failover
    waiting: asyncio.Future = asyncio.get_running_loop().create_future()
    killed: int | None = None
    try:
        await _receive(worker_stream, b"before-failover")
        # a worker blocked reading the stream when the master dies
        waiting = asyncio.ensure_future(_receive(worker_stream, b"after-failover"))
        await asyncio.sleep(0.2)
        # when
        killed = redis_sentinel.kill_master()
        # then: the same objects write again, to the promoted replica
        waited = await _eventually(lambda: client.set("failover:after", "1"), "the async client")
        assert waited < FAILOVER_BOUND_SECONDS
        assert redis_sentinel.master_port() != killed
        await _eventually(lambda: sync_client.set("failover:after-sync", "1"), "the sync client")
        await _eventually(lambda: limiter.hit("100/minute", "failover"), "the rate limiter")
        await _eventually(lambda: broker.kick(_message(b"after-failover")), "the job broker")
        await asyncio.wait_for(waiting, FAILOVER_BOUND_SECONDS)
        pubsub = client.pubsub()
        await pubsub.subscribe("failover:channel")
        assert await client.publish("failover:channel", "again") == 1
        assert (await _next_message(pubsub) or {}).get("data") == b"again"
        await pubsub.aclose()
        assert await client.get("failover:after") == b"1"
        assert sync_client.get("failover:after-sync") == b"1"
    finally:
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        await worker_stream.aclose()
        await broker.shutdown()
        await client.aclose()
        if killed is not None:
            redis_sentinel.restart_as_replica(killed)
