"""STAND-IN (helper indicators writes the real file): the baseline year and the plan's targets."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from backend.core.audit import Actor
from backend.energy.errors import EnergyError
from backend.energy.models import Baseline, Indicator, MeterKind, Target


def _number(text: str, scale: int) -> int:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise EnergyError.TARGET_INVALID.error(problem="请填写数字") from None
    if not value.is_finite() or value < 0:
        raise EnergyError.TARGET_INVALID.error(problem="数值不能为负")
    return int(value * scale)


def _baseline_view(b: Baseline) -> dict:
    return {
        "year": b.year,
        "area_hundredths": b.area_hundredths,
        "headcount": b.headcount,
        "electricity_milli": b.electricity_milli,
        "water_milli": b.water_milli,
        "gas_milli": b.gas_milli,
        "heat_milli": b.heat_milli,
    }


async def set_baseline(actor: Actor, year: int, area_text: str, headcount: int, amounts: dict[MeterKind, str]) -> dict:
    if not 2000 <= year <= 2100:
        raise EnergyError.TARGET_INVALID.error(problem="基准年应在 2000 到 2100 之间")
    if headcount <= 0:
        raise EnergyError.TARGET_INVALID.error(problem="在编人数应大于 0")
    values = {f"{kind.value}_milli": _number(text or "0", 1000) for kind, text in amounts.items()}
    baseline, _ = await Baseline.update_or_create(
        year=year, defaults={"area_hundredths": _number(area_text, 100), "headcount": headcount, **values}
    )
    return _baseline_view(baseline)


async def baseline(year: int) -> dict | None:
    found = await Baseline.get_or_none(year=year)
    return _baseline_view(found) if found else None


async def set_target(
    actor: Actor, indicator: Indicator, baseline_year: int, target_year: int, reduction_text: str
) -> dict:
    if target_year <= baseline_year:
        raise EnergyError.TARGET_INVALID.error(problem="目标年应晚于基准年")
    reduction = _number(reduction_text, 100)
    if not 0 < reduction <= 10_000:
        raise EnergyError.TARGET_INVALID.error(problem="降低比例应在 0 到 100% 之间")
    target, _ = await Target.update_or_create(
        indicator=indicator,
        target_year=target_year,
        defaults={"baseline_year": baseline_year, "reduction_bp": reduction},
    )
    return _target_view(target)


def _target_view(t: Target) -> dict:
    return {
        "id": t.id,
        "indicator": t.indicator.value,
        "indicator_label": t.indicator.label,
        "baseline_year": t.baseline_year,
        "target_year": t.target_year,
        "reduction_bp": t.reduction_bp,
    }


async def targets() -> list[dict]:
    return [_target_view(t) for t in await Target.all().order_by("target_year", "indicator")]
