"""Reading the rollups: use per meter over a range, a series with every period present, a
month's use per meter, and the estimated part of the use."""

from __future__ import annotations

from datetime import timedelta

from backend.energy.config import EnergySettings
from backend.energy.models import Grain
from backend.energy.service import readings, rollups
from backend.energy.service.derive import derive
from tests.fixtures.energy import at, collected

SETTINGS = EnergySettings()


async def fill(energy_world) -> tuple[int, int]:
    fgw, czj = energy_world.fgw_power.id, energy_world.czj_power.id
    await readings.ingest(collected(fgw, (0, 0), (1, 1_000), (2, 1_500), (26, 4_000)))
    await readings.ingest(collected(czj, (0, 0), (0.25, 70), (0.5, 90)))
    await derive(None, SETTINGS)
    return fgw, czj


async def test_use_by_meter_sums_each_meter_over_the_range(energy_world):
    fgw, czj = await fill(energy_world)
    hours = await rollups.use_by_meter([fgw, czj, energy_world.fgw_water.id], Grain.HOUR, at(0), at(1))
    assert hours == {fgw: 1_000, czj: 90, energy_world.fgw_water.id: 0}
    days = await rollups.use_by_meter([fgw], Grain.DAY, at(0), at(48))
    assert days == {fgw: 4_000}
    assert await rollups.use_by_meter([], Grain.DAY, at(0), at(48)) == {}


async def test_a_series_has_every_period_in_order_summed_over_the_meters(energy_world):
    fgw, czj = await fill(energy_world)
    series = await rollups.series([fgw, czj], Grain.HOUR, at(0) + timedelta(minutes=30), at(4))
    # 02:00 -> 02:00 the next day spreads 2500 over 24 hours: 104 each, the first four get the 4 left.
    assert list(series.items()) == [(at(0), 1_090), (at(1), 500), (at(2), 105), (at(3), 105)]
    daily = await rollups.series([fgw], Grain.DAY, at(0), at(72))
    assert list(daily.values()) == [1_500 + 4 * 105 + 18 * 104, 2 * 104, 0]
    assert list((await rollups.series([], Grain.DAY, at(0), at(48))).values()) == [0, 0]


async def test_month_use_reads_the_month_rollups(energy_world):
    fgw, czj = await fill(energy_world)
    month = at(0).date()
    # The readings run into the next day, which may be the next month.
    in_month = 4_000 if at(24).month == month.month else 1_500 + 4 * 105 + 18 * 104
    assert await rollups.month_use([fgw, czj], month) == {fgw: in_month, czj: 90}
    assert await rollups.month_use([fgw], month.replace(day=1) - timedelta(days=1)) == {fgw: 0}


async def test_the_estimated_part_is_what_was_spread_over_gaps(energy_world):
    fgw, czj = await fill(energy_world)
    estimated = await rollups.estimated_by_meter([fgw, czj], Grain.DAY, at(0), at(48))
    assert estimated == {fgw: 4_000, czj: 0}
