"""Background jobs: registered with their schedules, and run by a separate worker process in
production (Redis stream broker)."""

import asyncio
import base64
import os
import subprocess
import sys
from datetime import timedelta

from taskiq import BrokerMessage, InMemoryBroker, TaskiqScheduler
from taskiq.schedule_sources import LabelScheduleSource

from backend.accounts.jobs import mark_offline_devices
from backend.accounts.models import Device, DeviceKind
from backend.core.jobs import broker, make_broker, start_in_process_scheduler
from backend.core.redis import make_redis
from backend.core.timeutil import now


async def test_offline_sweep_is_scheduled_every_minute(app):
    source = LabelScheduleSource(broker)
    await source.startup()
    schedules = await source.get_schedules()
    crons = {s.task_name: s.cron for s in schedules}
    assert crons["accounts.mark_offline_devices"] == "* * * * *"


async def test_in_process_scheduler_runs_scheduled_jobs():
    """What the embedded default runs inside the server: schedules fire without other processes."""
    local = InMemoryBroker()
    ticks = []

    @local.task(task_name="tick", schedule=[{"interval": 1}])
    async def tick() -> None:
        ticks.append(now())

    await local.startup()
    task = await start_in_process_scheduler(TaskiqScheduler(local, [LabelScheduleSource(local)]))
    try:
        for _ in range(40):
            if ticks:
                break
            await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await local.shutdown()
    assert ticks, "the in-process scheduler never ran the job"


async def test_worker_process_runs_a_queued_job(app, settings, requires_redis):
    await Device.create(
        code="T-1", name="a", kind=DeviceKind.KIOSK, secret_encrypted="x", last_seen_at=now() - timedelta(minutes=5)
    )
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "HOUQIN_DATA_KEY": base64.b64encode(settings.data_key).decode(),
        "HOUQIN_VAR_DIR": str(settings.var_dir),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        await mark_offline_devices.kiq()
        for _ in range(1200):  # up to two minutes: a worker starts slowly on a loaded machine
            if (await Device.get(code="T-1")).offline_since is not None:
                break
            await asyncio.sleep(0.1)
        assert (await Device.get(code="T-1")).offline_since is not None, "the worker did not run the job"
    finally:
        worker.terminate()
        worker.wait(timeout=30)


async def test_worker_listening_survives_its_stream_being_deleted(requires_redis):
    """A Redis that lost its data, or a flushed database, takes the consumer group with the
    stream; the worker declares it again instead of failing every read."""
    broker = make_broker(requires_redis)
    await broker.startup()
    stream = broker.listen()
    reading = asyncio.ensure_future(anext(stream))
    try:
        await asyncio.sleep(0.3)  # the worker is blocked reading the stream
        client = make_redis(requires_redis)
        await client.delete("houqin:jobs")
        await client.aclose()
        await broker.kick(BrokerMessage(task_id="t-1", task_name="probe", message=b"after-loss", labels={}))
        message = await asyncio.wait_for(reading, timeout=10)
        await message.ack()
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await stream.aclose()
        await broker.shutdown()
    assert message.data == b"after-loss"


async def test_a_job_whose_worker_died_unacknowledged_is_taken_over_by_another_worker(requires_redis):
    """A worker killed mid-job never acknowledges it: after the redelivery time another worker
    runs it (taskiq-redis's own default would leave it for ten minutes)."""
    cleaner = make_redis(requires_redis)
    await cleaner.delete("houqin:jobs")
    killed, survivor = make_broker(requires_redis, redeliver_seconds=1), make_broker(requires_redis, 1)
    await killed.startup()
    await survivor.startup()
    taken = killed.listen()
    others = survivor.listen()
    try:
        await killed.kick(BrokerMessage(task_id="t-2", task_name="probe", message=b"half-done", labels={}))
        first = await asyncio.wait_for(anext(taken), timeout=10)
        assert first.data == b"half-done"  # taken, and never acknowledged: its worker is gone
        again = await asyncio.wait_for(anext(others), timeout=15)
        await again.ack()
    finally:
        await taken.aclose()
        await others.aclose()
        await killed.shutdown()
        await survivor.shutdown()
        await cleaner.delete("houqin:jobs")
        await cleaner.aclose()
    assert again.data == b"half-done"
