"""The energy jobs: scheduled as the design says; the embedded default's collector job collects a
slot once (a finished slot is not polled again, so a silent meter is not hammered every minute),
and leaves collecting to `houqin collect` when ENERGY_COLLECT_IN_WORKER=0; `houqin collect` runs
until stopped, or one slot with --once."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
from datetime import datetime

from taskiq.schedule_sources import LabelScheduleSource

from backend.core.jobs import broker
from backend.core.timeutil import BUSINESS_TZ
from backend.energy import jobs
from backend.energy.config import EnergySettings
from backend.energy.models import CommState, Meter, Reading, SwitchAction, SwitchCommand, SwitchReason, SwitchState
from backend.energy.service import switching


async def test_the_energy_jobs_are_scheduled(app):
    source = LabelScheduleSource(broker)
    await source.startup()
    schedules = {s.task_name: s for s in await source.get_schedules() if s.task_name.startswith("energy.")}
    assert {name: s.cron for name, s in schedules.items()} == {
        "energy.collect": "* * * * *",
        "energy.send_switches": "* * * * *",
        "energy.evaluate_budgets": "*/5 * * * *",
        "energy.month_rollover": "5 0 1 * *",
        "energy.purge_raw": "50 3 * * *",
    }
    assert schedules["energy.month_rollover"].cron_offset == "Asia/Shanghai"


async def test_the_collect_job_collects_a_slot_once(energy_world, meter_board, monkeypatch):
    minutes = iter(range(1, 10))
    monkeypatch.setattr(jobs, "now", lambda: datetime(2026, 3, 2, 9, next(minutes), tzinfo=BUSINESS_TZ))
    await Meter.filter(id=energy_world.czj_power.id).update(endpoint=meter_board.silent_endpoint)

    assert await jobs.collect_meters() == 3
    assert await jobs.collect_meters() == 0
    assert meter_board.reads[1] == 1
    czj = await Meter.get(id=energy_world.czj_power.id)
    assert (czj.comm_state, czj.comm_failures) == (CommState.NO_ANSWER, 1)


async def test_the_collect_job_is_off_where_houqin_collect_runs(energy_world, meter_board, settings, monkeypatch):
    off = dataclasses.replace(settings, environ={**settings.environ, "ENERGY_COLLECT_IN_WORKER": "0"})
    monkeypatch.setitem(broker.state, "settings", off)
    assert await jobs.collect_meters() == 0
    assert not await Reading.exists()
    assert meter_board.reads[1] == 0


def test_collecting_in_the_worker_is_a_yes_or_no_setting():
    assert EnergySettings.from_env({}).collect_in_worker is True
    assert EnergySettings.from_env({"ENERGY_COLLECT_IN_WORKER": "0"}).collect_in_worker is False


async def test_the_switch_job_sends_what_is_pending(energy_world, meter_board):
    await switching.request(None, energy_world.fgw_power.id, SwitchAction.CUT, SwitchReason.BUDGET_EXHAUSTED, "job:cut")
    assert await jobs.send_switches() == 1
    assert await SwitchCommand.filter(state=SwitchState.CONFIRMED).count() == 1
    assert meter_board.coil_writes == [(1, False)]


def test_houqin_collect_runs_until_stopped_and_once_with_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "HOUQIN_DATA_KEY")}
    env = {**env, "HOUQIN_VAR_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1"}
    houqin = [sys.executable, "-m", "backend.cli"]
    subprocess.run([*houqin, "migrate"], env=env, check=True, capture_output=True, timeout=600)

    once = subprocess.run([*houqin, "collect", "--once"], env=env, capture_output=True, text=True, timeout=600)
    assert once.returncode == 0, once.stderr
    assert "时段：应采 0 块，入库 0 条" in once.stdout

    collector = subprocess.Popen([*houqin, "collect"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert "能耗采集已启动：每 15 分钟采集一次" in collector.stdout.readline()
        collector.send_signal(signal.SIGTERM)
        assert collector.wait(timeout=30) == 0
        assert "能耗采集已停止" in collector.stdout.read()
    finally:
        collector.kill()
