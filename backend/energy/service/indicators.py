"""STAND-IN (helper indicators writes the real file): standard coal, carbon, trends, rankings
and the plan's indicators."""

from __future__ import annotations

from datetime import date, datetime

from backend.accounts.service import people
from backend.core.timeutil import BUSINESS_TZ
from backend.energy.models import Grain, Indicator, Meter, MeterKind, MeterRole, MeterShare
from backend.energy.service import budgets, rollups, targets

# kgce per thousandth of a unit, x 10^4 (GB/T 2589-2020).
_KGCE = {MeterKind.ELECTRICITY: 1229, MeterKind.WATER: 0, MeterKind.GAS: 12143, MeterKind.HEAT: 341}


def kgce_milli(kind: MeterKind, amount_milli: int) -> int:
    return (amount_milli * _KGCE[kind] + 5000) // 10000


def co2_grams(kind: MeterKind, amount_milli: int, settings) -> int:
    if kind is MeterKind.ELECTRICITY:
        return (amount_milli * settings.grid_co2_mg_per_kwh // 1000 + 500) // 1000
    return 0


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


async def _meter_ids(unit_id: int | None, kind: MeterKind | None) -> dict[int, MeterKind]:
    query = Meter.filter(role=MeterRole.CONSUMPTION)
    if kind is not None:
        query = query.filter(kind=kind)
    if unit_id is not None:
        shared = await MeterShare.filter(unit_id=unit_id).values_list("meter_id", flat=True)
        query = query.filter(
            id__in=list(shared) + list(await Meter.filter(unit_id=unit_id).values_list("id", flat=True))
        )
    return dict(await query.values_list("id", "kind"))


async def trend(start_month: date, months: int, unit_id: int | None, kind: MeterKind | None) -> list[dict]:
    meters = await _meter_ids(unit_id, kind)
    start = datetime(start_month.year, start_month.month, 1, tzinfo=BUSINESS_TZ)
    end_month = _add_months(start_month, months)
    end = datetime(end_month.year, end_month.month, 1, tzinfo=BUSINESS_TZ)
    rows = []
    by_month: dict[date, dict[str, int]] = {}
    for meter_id, meter_kind in meters.items():
        for at, amount in (await rollups.series([meter_id], Grain.MONTH, start, end)).items():
            month = at.date().replace(day=1)
            slot = by_month.setdefault(month, {})
            slot[meter_kind.value] = slot.get(meter_kind.value, 0) + amount
    for i in range(months):
        month = _add_months(start_month, i)
        by_kind = by_month.get(month, {})
        rows.append(
            {
                "month": month,
                "by_kind": by_kind,
                "kgce_milli": sum(kgce_milli(MeterKind(k), v) for k, v in by_kind.items()),
            }
        )
    return rows


async def ranking(month: date, kind: MeterKind, per: str) -> list[dict]:
    use = await budgets.unit_use(month, kind)
    units = await people.units_by_id({u for u, _ in use})
    rows = []
    for (unit_id, _), amount in use.items():
        headcount = len(await people.active_people_under(unit_id, people.StaffCategory.ESTABLISHED))
        value = amount if per == "total" else (amount // headcount if per == "person" and headcount else amount)
        rows.append(
            {
                "unit_id": unit_id,
                "unit_name": units[unit_id].name,
                "amount_milli": amount,
                "headcount": headcount,
                "area_hundredths": 0,
                "value_milli": value,
            }
        )
    rows.sort(key=lambda r: -r["value_milli"])
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return rows


async def indicators(year: int, settings) -> dict:
    plan = await targets.targets()
    rows = []
    for indicator in Indicator:
        target = next((t for t in plan if t["indicator"] == indicator.value), None)
        rows.append(
            {
                "indicator": indicator.value,
                "label": indicator.label,
                "unit": "kgce/m²",
                "value_text": "—",
                "baseline_text": "—",
                "change_text": "—",
                "target_text": f"−{target['reduction_bp'] / 100:g}%（{target['target_year']} 年）"
                if target
                else "未设",
                "on_track": None,
            }
        )
    return {"year": year, "rows": rows, "pv": None, "note": "按本年截至上月的用量折算全年"}
