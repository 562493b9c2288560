"""The province's statistics table (公共机构能源资源消费统计) for a year or a quarter: each
institution's building area and people, its consumption in the forms' measures, energy in tce,
carbon and the intensities; totals; a summary against the same period last year."""

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from backend.energy.config import EnergySettings
from backend.energy.models import Meter, MeterKind, MeterRole
from backend.energy.service import reports
from tests.fixtures.energy import put_month

SETTINGS = EnergySettings()


def _rows(book, sheet: str) -> list[tuple]:
    return [tuple(row) for row in book[sheet].iter_rows(min_row=3, values_only=True)]


async def _year_2025(w) -> None:
    """FGW 10,000 kWh (January) and 100 m³ (June), CZJ 5,000 kWh (December), the shared meter
    1,000 kWh (March; FGW 40 %, CZJ 60 %), FGW's PV array 2,000 kWh; in 2024 FGW 8,000 kWh."""
    await put_month(w.fgw_power.id, date(2025, 1, 1), 10_000_000)
    await put_month(w.fgw_water.id, date(2025, 6, 1), 100_000)
    await put_month(w.czj_power.id, date(2025, 12, 1), 5_000_000)
    await put_month(w.shared_power.id, date(2025, 3, 1), 1_000_000)
    await put_month(w.fgw_power.id, date(2024, 5, 1), 8_000_000)
    pv = await Meter.create(
        code="PV-01",
        name="屋顶光伏",
        kind=MeterKind.ELECTRICITY,
        role=MeterRole.PV_GENERATION,
        unit_id=w.fgw_id,
        place_id=w.building_id,
        installed_on=date(2025, 1, 1),
    )
    await put_month(pv.id, date(2025, 7, 1), 2_000_000)


async def test_the_year_statistics_hold_each_institution_and_the_totals(energy_world, energy_clock):
    energy_clock(datetime(2026, 2, 10, tzinfo=BUSINESS_TZ))
    await _year_2025(energy_world)

    book = load_workbook(io.BytesIO(await reports.province_statistics(2025, None, SETTINGS)))

    assert book.sheetnames == ["基本信息", "能源资源消费", "汇总", "说明"]
    assert book["能源资源消费"]["A1"].value == "公共机构能源资源消费状况 · 2025年"
    # The bureau itself holds one 在编 person but no rooms of its own.
    assert _rows(book, "基本信息") == [
        (1, "市财政局", "CZJ", 60, 0),
        (2, "市发展和改革委员会", "FGW", 40, 2),
        (3, "市机关事务管理局", "SJGSW", 0, 1),
        ("合计", None, None, 100, 3),
    ]
    assert _rows(book, "能源资源消费") == [
        (1, "市财政局", 0, 5600, 0, 0, 0, 0.688, 3.194, 11.47, None, None, 53.23),
        (2, "市发展和改革委员会", 100, 10400, 0, 0, 2000, 1.278, 5.931, 31.95, 639.08, 50, 148.28),
        (3, "市机关事务管理局", 0, 0, 0, 0, 0, 0, 0, None, 0, 0, None),
        ("合计", None, 100, 16000, 0, 0, 2000, 1.966, 9.125, 19.66, 655.47, 33.33, 91.25),
    ]
    summary = {row[0]: row[1:] for row in _rows(book, "汇总")}
    assert summary["用电量"] == ("千瓦时", 16000, 8000, 100)
    assert summary["能源消费总量"] == ("吨标准煤", 1.966, 0.983, 100)
    assert summary["太阳能光电系统发电量"] == ("千瓦时", 2000, 0, None)
    notes = dict(_rows(book, "说明"))
    assert notes["统计期"] == "2025年"
    assert "在编" in notes["用能人数"]


async def test_a_quarter_counts_only_its_three_months(energy_world, energy_clock):
    energy_clock(datetime(2026, 2, 10, tzinfo=BUSINESS_TZ))
    await _year_2025(energy_world)

    book = load_workbook(io.BytesIO(await reports.province_statistics(2025, 1, SETTINGS)))

    rows = {row[1]: row for row in _rows(book, "能源资源消费")}
    assert (rows["市发展和改革委员会"][3], rows["市财政局"][3]) == (10400, 600)
    assert book["汇总"]["A1"].value == "公共机构能源资源消费汇总 · 2025年第1季度"


@pytest.mark.parametrize(("year", "quarter"), [(2025, 5), (2025, 0), (2027, None), (2026, 2), ("2025", None)])
async def test_the_statistics_refuse_a_period_malformed_or_not_begun(energy_world, energy_clock, year, quarter):
    energy_clock(datetime(2026, 2, 10, tzinfo=BUSINESS_TZ))
    with pytest.raises(AppError) as refused:
        await reports.province_statistics(year, quarter, SETTINGS)
    assert refused.value.code == "energy.report_range_invalid"
