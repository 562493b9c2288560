"""Background jobs and schedules (taskiq).

Production: a Redis stream broker (messages are acknowledged after the job ran, so a worker that
dies mid-job leaves it to be redelivered) with separate `houqin worker` and `houqin scheduler`
processes. Embedded default: taskiq's InMemoryBroker, jobs run inside the server process and the
scheduler loop runs as a server task. Because a job may run more than once (redelivery, two
schedulers during a deploy), every job must have the effect of once.
"""

from __future__ import annotations

import os

from taskiq import AsyncBroker, InMemoryBroker, TaskiqScheduler
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import RedisStreamBroker

from backend.core.config import MEMORY_REDIS


def make_broker(redis_url: str) -> AsyncBroker:
    if redis_url == MEMORY_REDIS:
        return InMemoryBroker()
    return RedisStreamBroker(redis_url, queue_name="houqin:jobs", consumer_group_name="houqin")


def runs_in_process(broker: AsyncBroker) -> bool:
    return isinstance(broker, InMemoryBroker)


# taskiq's worker and scheduler commands import the broker by name, so it lives at module level;
# building it opens no connection.
broker = make_broker(os.environ.get("REDIS_URL", "").strip() or MEMORY_REDIS)
scheduler = TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)])
