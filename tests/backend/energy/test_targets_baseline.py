"""The baseline year and the plan's targets: typed figures validated with a reason for each
refusal, re-setting replaces, every change audited in words staff read."""

from datetime import datetime

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ
from backend.energy.models import Indicator, MeterKind
from backend.energy.service import targets


@pytest.fixture
def in_2026(energy_clock):
    energy_clock(datetime(2026, 3, 1, tzinfo=BUSINESS_TZ))


async def test_a_baseline_is_recorded_replaced_and_audited(app, in_2026):
    first = await targets.set_baseline(
        CLI_ACTOR, 2020, "12,000.5", 300, {MeterKind.ELECTRICITY: "1234567.891", "water": "15000", "gas": ""}
    )
    again = await targets.set_baseline(CLI_ACTOR, 2020, "12000.50", 320, {MeterKind.ELECTRICITY: "1200000"})

    assert first["id"] == again["id"]
    assert first["amounts"] == {"electricity": 1_234_567_891, "water": 15_000_000, "gas": 0, "heat": 0}
    assert (again["area_hundredths"], again["headcount"], again["amounts"]["water"]) == (1_200_050, 320, 0)
    assert await targets.baseline(2020) == again
    assert await targets.baseline(2021) is None
    assert [b["year"] for b in await targets.baselines()] == [2020]
    entries = await AuditEntry.filter(action="energy.set_baseline").order_by("id")
    assert [e.object_type for e in entries] == ["baseline", "baseline"]
    assert entries[0].before is None
    assert entries[1].before["electricity"] == "1,234,567.891 千瓦时"
    assert entries[1].after == {
        "year": 2020,
        "area": "12,000.50 平方米",
        "headcount": 320,
        "electricity": "1,200,000.000 千瓦时",
        "water": "0.000 立方米",
        "gas": "0.000 立方米",
        "heat": "0.000 吉焦",
    }


@pytest.mark.parametrize(
    ("year", "area", "headcount", "amounts", "problem"),
    [
        (2026, "100", 3, {}, "已经过去"),
        (1999, "100", 3, {}, "2000 至 2100"),
        (2020, "abc", 3, {}, "不是数字"),
        (2020, "100.123", 3, {}, "最多 2 位小数"),
        (2020, "0", 3, {}, "大于 0"),
        (2020, "NaN", 3, {}, "不是数字"),
        (2020, "100", 0, {}, "人数"),
        (2020, "100", 3, {MeterKind.WATER: "-1"}, "不小于 0"),
        (2020, "100", 3, {MeterKind.HEAT: "1.2345"}, "最多 3 位小数"),
        (2020, "100", 3, {"coal": "1"}, "没有“coal”"),
    ],
)
async def test_a_malformed_baseline_is_refused_with_its_reason(app, in_2026, year, area, headcount, amounts, problem):
    with pytest.raises(AppError) as refused:
        await targets.set_baseline(CLI_ACTOR, year, area, headcount, amounts)
    assert refused.value.code == "energy.target_invalid"
    assert problem in refused.value.message
    assert await targets.baselines() == []


async def test_a_target_needs_a_recorded_baseline_and_replaces_the_same_target_year(app, in_2026):
    with pytest.raises(AppError) as refused:
        await targets.set_target(CLI_ACTOR, Indicator.ENERGY_PER_M2, 2020, 2025, "6")
    assert "基准年 2020 尚未录入" in refused.value.message

    await targets.set_baseline(CLI_ACTOR, 2020, "100", 3, {})
    await targets.set_target(CLI_ACTOR, Indicator.WATER_PER_PERSON, 2020, 2025, "7")
    first = await targets.set_target(CLI_ACTOR, Indicator.ENERGY_PER_M2, 2020, 2025, "6")
    again = await targets.set_target(CLI_ACTOR, "energy_per_m2", 2020, 2025, "6.5")

    assert first["id"] == again["id"]
    assert [(t["indicator"], t["reduction_bp"], t["reduction_text"]) for t in await targets.targets()] == [
        ("energy_per_m2", 650, "6.5%"),
        ("water_per_person", 700, "7%"),
    ]
    last = await AuditEntry.filter(action="energy.set_target").order_by("-id").first()
    assert (last.before["reduction"], last.after["reduction"]) == ("6%", "6.5%")


@pytest.mark.parametrize(
    ("indicator", "baseline_year", "target_year", "reduction", "problem"),
    [
        ("energy_per_desk", 2020, 2025, "6", "没有“energy_per_desk”"),
        (Indicator.ENERGY_PER_M2, 2020, 2020, "6", "晚于基准年"),
        (Indicator.ENERGY_PER_M2, 2020, 2101, "6", "2000 至 2100"),
        (Indicator.ENERGY_PER_M2, 2020, 2025, "0", "大于 0"),
        (Indicator.ENERGY_PER_M2, 2020, 2025, "100", "不超过 99.99"),
        (Indicator.ENERGY_PER_M2, 2020, 2025, "6.125", "最多 2 位小数"),
    ],
)
async def test_a_malformed_target_is_refused_with_its_reason(
    app, in_2026, indicator, baseline_year, target_year, reduction, problem
):
    await targets.set_baseline(CLI_ACTOR, 2020, "100", 3, {})
    with pytest.raises(AppError) as refused:
        await targets.set_target(CLI_ACTOR, indicator, baseline_year, target_year, reduction)
    assert refused.value.code == "energy.target_invalid"
    assert problem in refused.value.message
    assert await targets.targets() == []


async def test_the_audit_log_names_baselines_and_targets_in_words(app, in_2026):
    baseline = await targets.set_baseline(CLI_ACTOR, 2020, "100", 3, {})
    target = await targets.set_target(CLI_ACTOR, Indicator.CARBON_PER_M2, 2020, 2025, "7")

    assert await targets.baseline_names([baseline["id"]]) == {baseline["id"]: "2020 年基准"}
    assert await targets.target_names([target["id"]]) == {target["id"]: "单位建筑面积碳排放 2025 年目标"}
