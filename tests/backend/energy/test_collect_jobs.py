"""The energy jobs: scheduled as the design says; the embedded default's collector job collects a
slot once (a finished slot is not polled again, so a silent meter is not hammered every minute),
and leaves collecting to `houqin collect` when ENERGY_COLLECT_IN_WORKER=0."""

from __future__ import annotations

import dataclasses
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
