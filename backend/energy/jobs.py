"""Scheduled jobs of energy. Each has the effect of once however often it runs: a slot's readings
are stored once per meter, a switch attempt is claimed by a conditional update, budget alerts and
cut decisions carry unique keys, the month's restores are decided once per meter and month."""

from __future__ import annotations

from backend.core.config import Settings
from backend.core.crypto import FieldCipher
from backend.core.jobs import broker
from backend.core.redis import make_redis
from backend.core.timeutil import now
from backend.energy.config import EnergySettings
from backend.energy.service import budgets, collect, readings, switching
from backend.modules import settings_of


def _settings() -> tuple[Settings, EnergySettings]:
    settings: Settings = broker.state.settings
    return settings, settings_of(settings, "energy")


@broker.task(task_name="energy.collect", schedule=[{"cron": "* * * * *"}])
async def collect_meters() -> int:
    """Every minute, the embedded default's collector: the slot is collected when it is due (its
    first run, or a run that did not finish: a worker restarted mid-slot), not again after a
    finished run, so a silent meter is polled once a slot. Off with ENERGY_COLLECT_IN_WORKER=0,
    where `houqin collect` runs instead. Returns the readings stored."""
    settings, energy = _settings()
    if not energy.collect_in_worker:
        return 0
    at = now()
    done_key = f"energy:collected:{collect.slot_of(at, energy.poll_minutes).isoformat()}"
    redis = make_redis(settings.redis_url)
    try:
        if await redis.exists(done_key):
            return 0
        report = await collect.collect_once(at, energy, FieldCipher(settings.data_key))
        await redis.set(done_key, "1", ex=energy.poll_minutes * 60 + 60)
    finally:
        await redis.aclose()
    return report.stored


@broker.task(task_name="energy.send_switches", schedule=[{"cron": "* * * * *"}])
async def send_switches() -> int:
    """Every minute: pending cuts and restores are sent and read back, unconfirmed ones retried."""
    settings, energy = _settings()
    return await switching.send_pending(now(), energy, FieldCipher(settings.data_key))


@broker.task(task_name="energy.evaluate_budgets", schedule=[{"cron": "*/5 * * * *"}])
async def evaluate_budgets() -> None:
    """Every five minutes: budgets against this month's use (alerts at 80 % and 100 %, cuts after
    the grace), also when no reading came in (the grace runs out by the clock)."""
    _, energy = _settings()
    await budgets.evaluate(now(), energy)


@broker.task(task_name="energy.month_rollover", schedule=[{"cron": "5 0 1 * *", "cron_offset": "Asia/Shanghai"}])
async def month_rollover() -> int:
    """00:05 on the 1st, Beijing time: every meter cut for an earlier month is restored."""
    _, energy = _settings()
    return await budgets.month_rollover(now(), energy)


@broker.task(task_name="energy.purge_raw", schedule=[{"cron": "50 3 * * *", "cron_offset": "Asia/Shanghai"}])
async def purge_raw() -> int:
    """Nightly: raw readings older than ENERGY_RAW_RETENTION_DAYS are deleted (rollups stay)."""
    _, energy = _settings()
    return await readings.purge_raw(now(), energy)
