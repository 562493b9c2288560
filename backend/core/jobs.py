"""Background jobs and schedules (taskiq).

Production: a Redis stream broker (messages are acknowledged after the job ran, so a worker that
dies mid-job leaves it to be redelivered) with separate `houqin worker` and `houqin scheduler`
processes. Embedded default: taskiq's InMemoryBroker, jobs run inside the server process and the
scheduler loop runs as a server task. Because a job may run more than once (redelivery, two
schedulers during a deploy), every job must have the effect of once.
"""

from __future__ import annotations

import asyncio
import os

from taskiq import AsyncBroker, InMemoryBroker, TaskiqScheduler
from taskiq.cli.scheduler.run import SchedulerLoop
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import RedisStreamBroker

from backend.core.config import MEMORY_REDIS


def make_broker(redis_url: str) -> AsyncBroker:
    if redis_url == MEMORY_REDIS:
        return InMemoryBroker()
    # consumer_id "0": the group starts at the head of the stream, so jobs queued before any
    # worker ever ran are still delivered. maxlen bounds the stream (acked entries stay in it).
    return RedisStreamBroker(
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
