"""A unit's monthly report as Excel: use by kind with its share of shared meters, the part
estimated over gaps, against last month and the same month last year, kgce and CO₂; its budgets;
its own meters day by day; each meter; how the figures were made."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import Budget, BudgetState, MeterKind
from backend.energy.service import reports
from tests.fixtures.energy import put_day, put_month

SETTINGS = EnergySettings()
MARCH = date(2026, 3, 1)


def _rows(book, sheet: str) -> list[tuple]:
    return [tuple(row) for row in book[sheet].iter_rows(min_row=3, values_only=True)]


async def test_the_unit_month_report_holds_its_use_budget_days_and_meters(energy_world, energy_clock):
    # given: FGW in March 2026 used 1,000 kWh on its own meter (10 kWh estimated over a gap) and
    # 10 m³ of water; the shared meter 500 kWh (FGW holds 40 % of the area); February 800 kWh,
    # March 2025 1,250 kWh; a budget of 2,000 kWh
    w = energy_world
    energy_clock(datetime(2026, 3, 20, 9, 30, tzinfo=BUSINESS_TZ))
    await put_month(w.fgw_power.id, MARCH, 1_000_000, estimated_milli=10_000)
    await put_month(w.fgw_water.id, MARCH, 10_000)
    await put_month(w.shared_power.id, MARCH, 500_000)
    await put_month(w.fgw_power.id, date(2026, 2, 1), 800_000)
    await put_month(w.fgw_power.id, date(2025, 3, 1), 1_250_000)
    await put_day(w.fgw_power.id, date(2026, 3, 2), 600_000)
    await put_day(w.fgw_power.id, date(2026, 3, 3), 400_000)
    await Budget.create(
        unit_id=w.fgw_id,
        month=MARCH,
        kind=MeterKind.ELECTRICITY,
        headcount=2,
        area_hundredths=4000,  # shared meters are apportioned by the area the budget recorded
        per_person_milli=1_000_000,
        computed_milli=2_000_000,
        state=BudgetState.NORMAL,
    )

    # when
    content = await reports.unit_month_report(w.fgw_id, date(2026, 3, 15), SETTINGS)

    # then
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["汇总", "预算", "按日", "电表", "说明"]
    assert book["汇总"]["A1"].value == "市发展和改革委员会 2026年3月能耗报表"
    summary = _rows(book, "汇总")
    # 1,200 kWh = 1,000 own + 200 shared; -> +50 % on February, -4 % on March 2025
    assert summary[0] == ("电", "千瓦时", 1200, 1000, 200, 10, 800, 50, 1250, -4, 147.48, 684.36)
    assert summary[1][:6] == ("水", "立方米", 10, 10, 0, 0)
    assert summary[-1][0] == "合计" and summary[-1][-2:] == (147.48, 684.36)
    assert _rows(book, "预算") == [("市发展和改革委员会", "电", 2000, 1200, "千瓦时", 60, "正常")]
    days = _rows(book, "按日")
    assert len(days) == 31 + 1
    assert days[1] == ("2026-03-02", 600, 0)
    assert days[-1] == ("合计", 1000, 0)
    meters = _rows(book, "电表")
    assert [m[0] for m in meters] == ["E-FGW-01", "E-FGW-SAFE", "W-FGW-01"]
    assert meters[0][3:8] == ("行政中心A座 4层 401", 1, 1000, "千瓦时", 10)
    notes = dict(_rows(book, "说明"))
    assert notes["折标准煤系数（电）"].startswith("0.1229 千克标准煤/千瓦时")
    assert notes["二氧化碳排放因子（电）"].startswith("0.5703 千克/千瓦时")
    assert "按时间比例" in notes["缺数估算"]


@pytest.mark.parametrize("month", [date(2026, 4, 1), date(1999, 12, 1)])
async def test_the_unit_month_report_refuses_a_month_not_yet_begun(energy_world, energy_clock, month):
    energy_clock(datetime(2026, 3, 20, tzinfo=BUSINESS_TZ))
    with pytest.raises(AppError) as refused:
        await reports.unit_month_report(energy_world.fgw_id, month, SETTINGS)
    assert refused.value.code == "energy.report_range_invalid"


async def test_the_unit_month_report_of_an_unknown_unit_is_refused(energy_world, energy_clock):
    energy_clock(datetime(2026, 3, 20, tzinfo=BUSINESS_TZ))
    with pytest.raises(AppError) as refused:
        await reports.unit_month_report(999_999, MARCH, SETTINGS)
    assert refused.value.code == "energy.report_unit_not_found"
