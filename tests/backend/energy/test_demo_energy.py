"""The energy demo: a building's meters registered on the simulators' addresses, quotas, the
2020 baseline and the plan's four targets, contacts, a year of readings; the development and
reform commission near its electricity budget (warned, not exhausted) whether the demo is seeded
just after midnight on the 1st (still the previous day in UTC) or later in the month; written
once. The simulators start in `houqin run` only when asked and only for the demo's meters, each
register where its last reading left it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from backend.core.demo import DemoContext
from backend.core.timeutil import BUSINESS_TZ, now
from backend.demo import seed as seed_platform
from backend.energy import demo
from backend.energy.models import Budget, BudgetState, EnergyContact, Meter, MeterKind, Reading, Target
from backend.energy.service import simulators


async def _seed(runtime) -> list[str]:
    """The platform's whole demo (energy's stands on the roster, the building and its rooms'
    areas); energy's own lines."""
    lines = (await seed_platform(runtime, if_empty=False)).lines
    return [line for line in lines if line.startswith("能耗")]


@pytest.mark.parametrize("moment", ["first_past_midnight", "now"])
async def test_the_commission_is_near_its_budget_whenever_the_demo_is_seeded(runtime, monkeypatch, moment):
    at = now()
    if moment == "first_past_midnight":
        at = datetime(at.year, at.month, 1, 0, 20, tzinfo=BUSINESS_TZ)  # 16:20 UTC the day before
    monkeypatch.setattr(demo, "now", lambda: at)
    lines = await _seed(runtime)

    assert await Meter.all().count() == len(demo.METERS)
    fgw = await Budget.get(unit__code="FGW", kind=MeterKind.ELECTRICITY, month=at.date().replace(day=1))
    percent = fgw.used_milli * 100 // (fgw.computed_milli + fgw.adjustment_milli)
    assert 80 <= percent < 100 and fgw.state == BudgetState.WARNED
    assert f"本月用电预算已用 {percent}%" in lines[0]
    newest = await Reading.filter(meter__code="E-FGW-01").order_by("-slot_at").first()
    assert newest.slot_at <= at and at - newest.slot_at < timedelta(minutes=30)
    assert await Reading.filter(meter__code="E-FGW-01", slot_at__lt=at - timedelta(days=300)).exists()
    assert {t.reduction_bp for t in await Target.all()} == {600, 700} and await Target.all().count() == 4
    assert await EnergyContact.all().count() == 2

    assert await demo.seed(DemoContext(runtime.cipher, runtime.storage, runtime.redis, runtime.settings)) == []
    assert await Meter.all().count() == len(demo.METERS)


async def test_the_simulators_start_only_when_asked_for_the_demos_meters_where_their_readings_left_off(
    runtime, monkeypatch
):
    monkeypatch.delenv(simulators.ENV, raising=False)
    assert await simulators.simulators() == []  # no demo meters yet
    await _seed(runtime)
    sims = {type(s).__name__: s for s in await simulators.simulators()}
    modbus, dlt645 = sims["ModbusMeterSim"], sims["Dlt645MeterSim"]
    assert (modbus.host, modbus.port, dlt645.port) == (demo.SIM_HOST, demo.MODBUS_PORT, demo.DLT645_PORT)
    fgw = await Meter.get(code="E-FGW-01")
    assert set(modbus.meters) == {1, 2, 3, 4, 5, 6} and modbus.meters[1].milli >= fgw.last_raw_milli
    assert modbus.meters[1].milli - fgw.last_raw_milli < 1000  # it goes on from there, not from 0
    assert set(dlt645.meters) == {"000000000102"} and dlt645.meters["000000000102"].password == "02123456"

    await simulators.serve(runtime)  # not asked for: returns at once

    monkeypatch.setenv(simulators.ENV, "1")
    monkeypatch.setattr(demo, "MODBUS_PORT", 0)
    monkeypatch.setattr(demo, "DLT645_PORT", 0)
    await Meter.filter(code__in=[m.code for m in demo.METERS if m.model]).update(endpoint=f"{demo.SIM_HOST}:0")
    running = asyncio.create_task(simulators.serve(runtime))
    await asyncio.sleep(0.5)
    assert not running.done()  # serving until the server stops
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
