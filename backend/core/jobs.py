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

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker, TaskiqScheduler
from taskiq.cli.scheduler.run import SchedulerLoop
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import RedisStreamBroker

from backend.core.config import MEMORY_REDIS
from backend.core.redis import connection_pool

log = logging.getLogger(__name__)

# How long a worker waits before reading the stream again after losing Redis.
RELISTEN_SECONDS = 1.0
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
                async for message in super().listen():
                    yield message
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("job broker: %s; reading the stream again", exc)
                await asyncio.sleep(RELISTEN_SECONDS)
            except ResponseError as exc:
                if not str(exc).startswith(STREAM_LOST):
                    raise
                log.warning("job broker: %s; declaring the consumer group again", exc)


def make_broker(redis_url: str) -> AsyncBroker:
    if redis_url == MEMORY_REDIS:
        return InMemoryBroker()
    # consumer_id "0": the group starts at the head of the stream, so jobs queued before any
    # worker ever ran are still delivered. maxlen bounds the stream (acked entries stay in it).
    return StreamBroker(
        redis_url, queue_name="houqin:jobs", consumer_group_name="houqin", consumer_id="0", maxlen=100_000
    )


def runs_in_process(broker: AsyncBroker) -> bool:
    return isinstance(broker, InMemoryBroker)


# taskiq's worker and scheduler commands import the broker by name, so it lives at module level;
# building it opens no connection.
broker = make_broker(os.environ.get("REDIS_URL", "").strip() or MEMORY_REDIS)
scheduler = TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)])


async def start_in_process_scheduler(target: TaskiqScheduler) -> asyncio.Task:
    """The embedded default's scheduler: the same loop as `taskiq scheduler`, as a task of the
    server's event loop. Sources load their schedules before the first tick."""
    for source in target.sources:
        await source.startup()
    await target.startup()
    return asyncio.create_task(SchedulerLoop(target).run(skip_first_run=True), name="houqin-scheduler")
