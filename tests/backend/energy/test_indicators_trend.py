"""The month-by-month trend (the estate's consumption meters, or one unit with the units below
it and its share of shared meters) and the institutions ranked by use in total, per person on the
establishment and per m² of building area."""

from datetime import date

import pytest

from backend.core.errors import AppError
from backend.energy.models import Budget, Meter, MeterKind, MeterRole
from backend.energy.service import indicators
from tests.fixtures.energy import put_month

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


async def _use(w) -> None:
    """January: FGW 3,000 kWh and 20 m³ of water, CZJ 1,000 kWh, the shared meter 1,000 kWh
    (FGW holds 40 m², CZJ 60 m²), a PV array 500 kWh; March: FGW 100 kWh. February is quiet."""
    await put_month(w.fgw_power.id, JAN, 3_000_000)
    await put_month(w.fgw_water.id, JAN, 20_000)
    await put_month(w.czj_power.id, JAN, 1_000_000)
    await put_month(w.shared_power.id, JAN, 1_000_000)
    await put_month(w.fgw_power.id, MAR, 100_000)
    pv = await Meter.create(
        code="PV-01",
        name="屋顶光伏",
        kind=MeterKind.ELECTRICITY,
        role=MeterRole.PV_GENERATION,
        unit_id=w.fgw_id,
        place_id=w.building_id,
        installed_on=JAN,
    )
    await put_month(pv.id, JAN, 500_000)


async def test_trend_sums_each_kind_month_by_month_with_quiet_months_as_zero(energy_world):
    await _use(energy_world)

    rows = await indicators.trend(JAN, 3, None, None)

    assert [r["label"] for r in rows] == ["2026-01", "2026-02", "2026-03"]
    # The PV array's generation is no consumption.
    assert rows[0]["amounts"] == {"electricity": 5_000_000, "water": 20_000, "gas": 0, "heat": 0}
    assert rows[0]["kgce_milli"] == 614_500  # 5,000 kWh x 0.1229
    assert rows[1]["amounts"]["electricity"] == 0 and rows[1]["kgce_milli"] == 0
    assert rows[2]["amounts"]["electricity"] == 100_000


async def test_trend_of_one_kind_for_a_unit_counts_its_share_of_shared_meters(energy_world):
    w = energy_world
    await _use(w)

    fgw = await indicators.trend(JAN, 1, w.fgw_id, MeterKind.ELECTRICITY)
    czj = await indicators.trend(JAN, 1, w.czj_id, MeterKind.ELECTRICITY)

    assert fgw[0]["amounts"] == {"electricity": 3_400_000}  # its own 3,000 + 40 % of 1,000 kWh
    assert czj[0]["amounts"] == {"electricity": 1_600_000}


async def test_a_units_trend_over_months_apportions_each_month_by_that_months_figures(energy_world):
    w = energy_world
    await _use(w)
    await put_month(w.shared_power.id, MAR, 1_000)
    # March was billed with CZJ holding 90 m² against FGW's 10 (January: today's 40 against 60).
    for unit_id, area in ((w.fgw_id, 1_000), (w.czj_id, 9_000)):
        await Budget.create(
            unit_id=unit_id,
            month=MAR,
            kind=MeterKind.ELECTRICITY,
            headcount=0,
            area_hundredths=area,
            per_person_milli=0,
            computed_milli=0,
        )

    fgw = await indicators.trend(JAN, 12, w.fgw_id, MeterKind.ELECTRICITY)
    czj = await indicators.trend(JAN, 12, w.czj_id, None)

    assert [r["amounts"]["electricity"] for r in fgw[:4]] == [3_400_000, 0, 100_100, 0]
    assert [r["amounts"]["electricity"] for r in czj[:4]] == [1_600_000, 0, 900, 0]
    assert czj[0]["amounts"]["water"] == 0 and len(fgw) == len(czj) == 12


@pytest.mark.parametrize("months", [0, 61])
async def test_trend_refuses_a_month_count_out_of_range(energy_world, months):
    with pytest.raises(AppError) as refused:
        await indicators.trend(JAN, months, None, None)
    assert refused.value.code == "energy.indicator_query_invalid"


async def test_ranking_orders_institutions_by_total_per_person_and_per_m2(energy_world):
    w = energy_world
    await _use(w)

    total = await indicators.ranking(JAN, MeterKind.ELECTRICITY, "total")
    person = await indicators.ranking(JAN, MeterKind.ELECTRICITY, "person")
    per_m2 = await indicators.ranking(JAN, MeterKind.ELECTRICITY, "m2")

    assert [(r["rank"], r["unit_id"], r["amount_milli"], str(r["value"])) for r in total] == [
        (1, w.fgw_id, 3_400_000, "3400.000"),
        (2, w.czj_id, 1_600_000, "1600.000"),
    ]
    # FGW has two 在编 people below it; CZJ none (only 聘用 and 外包), so no figure and last.
    assert [(r["unit_id"], r["headcount"], r["value"] and str(r["value"])) for r in person] == [
        (w.fgw_id, 2, "1700.000"),
        (w.czj_id, 0, None),
    ]
    assert person[0]["measure"] == "千瓦时/人"
    assert [(r["unit_id"], str(r["value"])) for r in per_m2] == [(w.fgw_id, "85.000"), (w.czj_id, "26.667")]


async def test_ranking_refuses_an_unknown_basis(energy_world):
    with pytest.raises(AppError) as refused:
        await indicators.ranking(JAN, MeterKind.ELECTRICITY, "per_desk")
    assert refused.value.code == "energy.indicator_query_invalid"
