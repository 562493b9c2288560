"""The plan's four indicators for a year: use so far annualised by the share of the year gone,
per m² of building area and per person on the establishment, each against the baseline year and
the straight-line progress toward its target; PV generation and self-use where PV meters exist."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import Indicator, Meter, MeterKind, MeterRole
from backend.energy.service import indicators, targets
from tests.fixtures.energy import put_month

SETTINGS = EnergySettings()
# 1 April 2026 at midnight: 90 of the year's 365 days are over.
APRIL_FIRST = datetime(2026, 4, 1, tzinfo=BUSINESS_TZ)


async def _pv(w, role: MeterRole, code: str, amount: int) -> None:
    meter = await Meter.create(
        code=code,
        name=code,
        kind=MeterKind.ELECTRICITY,
        role=role,
        unit_id=w.fgw_id,
        place_id=w.building_id,
        installed_on=date(2026, 1, 1),
    )
    await put_month(meter.id, date(2026, 2, 1), amount)


async def test_indicators_annualise_the_year_so_far_and_measure_progress_to_the_targets(energy_world, energy_clock):
    # given: 9,000 kWh and 90 m³ in the first quarter, on 100 m² (40 + 60) and 3 在编 people
    # (two below FGW, one in the bureau itself), and a baseline 2020 of 40,000 kWh and 300 m³
    w = energy_world
    energy_clock(datetime(2025, 6, 1, tzinfo=BUSINESS_TZ))
    await targets.set_baseline(CLI_ACTOR, 2020, "100", 3, {MeterKind.ELECTRICITY: "40000", MeterKind.WATER: "300"})
    for indicator, cut in (
        (Indicator.ENERGY_PER_M2, "6"),
        (Indicator.ENERGY_PER_PERSON, "7"),
        (Indicator.WATER_PER_PERSON, "7"),
    ):
        await targets.set_target(CLI_ACTOR, indicator, 2020, 2025, cut)
    await put_month(w.fgw_power.id, date(2026, 1, 1), 6_000_000, estimated_milli=1_000)
    await put_month(w.czj_power.id, date(2026, 3, 1), 3_000_000)
    await put_month(w.fgw_water.id, date(2026, 2, 1), 90_000)
    await _pv(w, MeterRole.PV_GENERATION, "PV-GEN", 1_000_000)
    await _pv(w, MeterRole.GRID_EXPORT, "PV-EXP", 200_000)
    energy_clock(APRIL_FIRST)

    # when
    result = await indicators.indicators(2026, SETTINGS)

    # then: 9,000 kWh ÷ 90/365 = 36,500 kWh a year = 4,485.85 kgce
    assert result["annualised"] is True
    assert result["share_pct"] == Decimal("24.66")
    assert "24.66%" in result["explanation"]
    assert (result["area_hundredths"], result["headcount"]) == (10_000, 3)
    electricity = next(t for t in result["totals"] if t["kind"] == "electricity")
    assert (electricity["amount_milli"], electricity["annual_milli"]) == (9_000_000, 36_500_000)
    assert result["estimated_milli"] == 1_000
    by_indicator = {row["indicator"]: row for row in result["indicators"]}
    energy_m2 = by_indicator["energy_per_m2"]
    assert (energy_m2["value"], energy_m2["baseline_value"], energy_m2["change_pct"]) == (
        Decimal("44.86"),
        Decimal("49.16"),
        Decimal("-8.75"),
    )
    # 2026 is past the target year: the whole 6 % is due, and 8.75 % is done.
    assert (energy_m2["expected_reduction_pct"], energy_m2["on_track"]) == (Decimal("6.00"), True)
    assert by_indicator["energy_per_person"]["value"] == Decimal("1495.28")
    water = by_indicator["water_per_person"]
    assert (water["value"], water["baseline_value"], water["change_pct"], water["on_track"]) == (
        Decimal("121.67"),
        Decimal("100.00"),
        Decimal("21.67"),
        False,
    )
    assert water["status"] == "落后于目标进度"
    carbon = by_indicator["carbon_per_m2"]
    assert (carbon["value"], carbon["baseline_year"], carbon["change_pct"]) == (
        Decimal("208.16"),
        2020,
        Decimal("-8.75"),
    )
    assert carbon["status"] == "未设置目标"
    assert result["pv"] == {
        "generation_milli": 1_000_000,
        "export_milli": 200_000,
        "self_use_milli": 800_000,
        "self_use_pct": Decimal("80.00"),
        "kgce_milli": 122_900,
        "co2_avoided_grams": 570_300,
    }


async def test_progress_due_follows_the_straight_line_to_the_target_year(energy_world, energy_clock):
    w = energy_world
    energy_clock(datetime(2024, 1, 1, tzinfo=BUSINESS_TZ))
    await targets.set_baseline(CLI_ACTOR, 2020, "100", 3, {MeterKind.ELECTRICITY: "1000"})
    await targets.set_target(CLI_ACTOR, Indicator.ENERGY_PER_M2, 2020, 2025, "6")
    await put_month(w.fgw_power.id, date(2023, 5, 1), 960_000)

    result = await indicators.indicators(2023, SETTINGS)

    row = next(r for r in result["indicators"] if r["indicator"] == "energy_per_m2")
    assert result["annualised"] is False and result["explanation"] == "2023 年全年实际用量。"
    # Three of the plan's five years: 3.6 % due by 2023; 4 % done.
    assert (row["expected_reduction_pct"], row["change_pct"], row["on_track"]) == (
        Decimal("3.60"),
        Decimal("-4.00"),
        True,
    )


async def test_indicators_without_baseline_say_so_and_have_no_pv(energy_world, energy_clock):
    energy_clock(APRIL_FIRST)
    await put_month(energy_world.fgw_power.id, date(2026, 1, 1), 1_000_000)

    result = await indicators.indicators(2026, SETTINGS)

    assert {row["status"] for row in result["indicators"]} == {"未设置基准年与目标"}
    assert all(row["value"] is not None for row in result["indicators"])
    assert result["pv"] is None


@pytest.mark.parametrize("year", [2027, 1999, "2026"])
async def test_indicators_refuse_a_year_not_yet_begun_or_malformed(energy_world, energy_clock, year):
    energy_clock(APRIL_FIRST)
    with pytest.raises(AppError) as refused:
        await indicators.indicators(year, SETTINGS)
    assert refused.value.code == "energy.indicator_query_invalid"
