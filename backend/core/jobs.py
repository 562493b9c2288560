"""Background jobs and schedules (taskiq).

Production: a Redis stream broker (messages are acknowledged after the job ran, so a worker that
dies mid-job leaves it to be redelivered) with separate `houqin worker` and `houqin scheduler`
processes. Embedded default: taskiq's InMemoryBroker, jobs run inside the server process and the
scheduler loop runs as a server task. With REDIS_URL naming Sentinels the same stream broker
runs on a pool that follows the master (backend/core/redis.py). Because a job may run more than once (redelivery, two
schedulers during a deploy), every job must have the effect of once.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncGenerator
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker, TaskiqScheduler
from taskiq.cli.scheduler.run import SchedulerLoop
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import RedisStreamBroker

from backend.core.config import MEMORY_REDIS, bounded_setting
from backend.core.redis import connection_pool

log = logging.getLogger(__name__)

# How long a worker waits before reading the stream again after losing Redis.
RELISTEN_SECONDS = 1.0
# A job a worker took and has not acknowledged for this long is taken over by another worker:
# its worker was killed, or it is still running (then it runs twice, which every job allows).
# taskiq-redis's own default is ten minutes, during which a killed monthly run stands half done.
DEFAULT_REDELIVER_SECONDS = 120
# Redis's answers to a read of a stream deleted under it (while blocked, then after).
STREAM_LOST = ("UNBLOCKED", "NOGROUP")


class StreamBroker(RedisStreamBroker):
    """taskiq-redis's stream broker on the platform's connection pool, so that it reaches a
    Sentinel master too. Not taskiq-redis's RedisStreamSentinelBroker: that one opens a new pool
    for every message sent or acknowledged, and never reclaims the messages a killed worker
    left unacknowledged, which this broker redelivers."""

    def __init__(self, redis_url: str, **kwargs) -> None:
        # taskiq-redis parses only plain redis:// URLs; the pool it makes here has no connection
        # yet and is replaced at once.
        super().__init__("redis://", **kwargs)
        self.connection_pool = connection_pool(redis_url)

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        """The stream's messages, read again after a lost connection (a Sentinel failover, a
        Redis restart) or a lost stream: taskiq ends a worker process whose listening fails,
        cancelling the jobs it is running, and starts a new one."""
        while True:
            try:
                # Declared each time: a Redis that lost its data (or a flushed database) has lost
                # the stream's consumer group too, and every read would fail without it.
                await self._declare_consumer_group()
                async for message in self._messages():
                    yield message
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("job broker: %s; reading the stream again", exc)
                await asyncio.sleep(RELISTEN_SECONDS)
            except ResponseError as exc:
                if not str(exc).startswith(STREAM_LOST):
                    raise
                log.warning("job broker: %s; declaring the consumer group again", exc)

    async def _messages(self) -> AsyncGenerator[AckableMessage, None]:
        """New messages, then the ones left unacknowledged longer than the redelivery time, in
        turn. taskiq-redis's own loop takes those over only after new messages came, so on a
        quiet stream a killed worker's job waited for the next one queued."""
        async with Redis(connection_pool=self.connection_pool) as conn:
            while True:
                # redis-py types stream replies loosely: [(stream, [(id, fields), ...]), ...].
                fetched: Any = await conn.xreadgroup(
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    block=self.block,
                    count=self.count,
                )
                for _, messages in fetched or []:
                    for message_id, fields in messages:
                        yield self._ackable(message_id, fields)
                # XAUTOCLAIM gives each message to one claimant and starts its idle time again,
                # so workers claiming at the same moment never take the same one.
                claimed: Any = await conn.xautoclaim(
                    self.queue_name,
                    self.consumer_group_name,
                    self.consumer_name,
                    min_idle_time=self.idle_timeout,
                    count=self.unacknowledged_batch_size,
                )
                for message_id, fields in claimed[1]:
                    if fields:  # trimmed from the stream meanwhile: nothing left to run
                        yield self._ackable(message_id, fields)

    def _ackable(self, message_id: Any, fields: dict) -> AckableMessage:
        return AckableMessage(data=fields[b"data"], ack=self._ack_generator(id=message_id, queue_name=self.queue_name))


def make_broker(redis_url: str, redeliver_seconds: int = DEFAULT_REDELIVER_SECONDS) -> AsyncBroker:
    if redis_url == MEMORY_REDIS:
        return InMemoryBroker()
    # consumer_id "0": the group starts at the head of the stream, so jobs queued before any
    # worker ever ran are still delivered. maxlen bounds the stream (acked entries stay in it).
    return StreamBroker(
        redis_url,
        queue_name="houqin:jobs",
        consumer_group_name="houqin",
        consumer_id="0",
        maxlen=100_000,
        idle_timeout=redeliver_seconds * 1000,
    )


def runs_in_process(broker: AsyncBroker) -> bool:
    return isinstance(broker, InMemoryBroker)


# taskiq's worker and scheduler commands import the broker by name, so it lives at module level;
# building it opens no connection.
broker = make_broker(
    os.environ.get("REDIS_URL", "").strip() or MEMORY_REDIS,
    bounded_setting(os.environ, "JOB_REDELIVER_SECONDS", DEFAULT_REDELIVER_SECONDS, 10, 3600),
)
scheduler = TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)])


async def start_in_process_scheduler(target: TaskiqScheduler) -> asyncio.Task:
    """The embedded default's scheduler: the same loop as `taskiq scheduler`, as a task of the
    server's event loop. Sources load their schedules before the first tick."""
    for source in target.sources:
        await source.startup()
    await target.startup()
    return asyncio.create_task(SchedulerLoop(target).run(skip_first_run=True), name="houqin-scheduler")
