"""Energy indicators (能耗指标): use converted to standard coal (kgce) and to CO₂, the month-by-month
trend, units ranked by use in total, per person and per m², and the plan's four indicators for a
year (单位建筑面积能耗, 人均综合能耗, 人均用水量, 单位建筑面积碳排放) against the baseline year and
the targets, with PV generation and self-use where PV meters exist.

Everything is read from MONTH rollups (never raw readings), so a year's indicators are a few
grouped queries. Conversions are integer arithmetic, rounded half up once per conversion.

Who is compared: an institution (公共机构) is an agency, a unit directly below a root of the unit
tree, whose use is that of every unit in its subtree (including its share of shared meters,
apportioned as budgets apportion them); a root holding meters itself is an institution of its
own, with the people and rooms that are not an agency's. Headcount is the establishment (在编,
from the roster, as budgets count it) and area the building area of the rooms held (places).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from tortoise.functions import Sum

from backend.accounts.service import people
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, add_months, day_start, now, plausible
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import MEASURE, Grain, Indicator, Meter, MeterKind, MeterRole, Rollup
from backend.energy.service import budgets
from backend.energy.service import targets as plan
from backend.places import service as places

# Standard coal per thousandth of each kind's measure, in grams (thousandths of a kgce), as a
# fraction: GB/T 2589-2020 《综合能耗计算通则》, the equivalent values (当量值): electricity
# 0.1229 kgce/kWh (860 kcal ÷ 7 000 kcal/kgce), natural gas 1.2143 kgce/m³ (8 500 kcal/m³, within
# the standard's 1.1000–1.3300 range), heat 0.03412 kgce/MJ. Water is no energy.
KGCE_PER_MILLI = {
    MeterKind.ELECTRICITY: Fraction(1229, 10_000),  # g per Wh
    MeterKind.GAS: Fraction(12143, 10_000),  # g per litre
    MeterKind.HEAT: Fraction(3412, 100),  # g per MJ
}
KGCE_FACTOR_TEXT = {
    MeterKind.ELECTRICITY: "0.1229 千克标准煤/千瓦时",
    MeterKind.GAS: "1.2143 千克标准煤/立方米",
    MeterKind.HEAT: "34.12 千克标准煤/吉焦（0.03412 千克标准煤/兆焦）",
}
# CO₂ in grams per thousandth of the measure. Electricity: the grid factor of the settings
# (default 0.5703 kg/kWh, the national grid average for 2022 published by the Ministry of Ecology
# and Environment and the National Bureau of Statistics in 2024). Natural gas 2.1622 kg/m³ and
# heat 0.11 kg/MJ: the defaults of NDRC's 《公共建筑运营单位（企业）温室气体排放核算方法和报告指南
# （试行）》 (gas: 389.31 GJ/10⁴ m³ × 15.3 tC/TJ × 99 % oxidised × 44/12; heat: 0.11 tCO₂/GJ).
CO2_PER_MILLI = {
    MeterKind.GAS: Fraction(21622, 10_000),  # g per litre
    MeterKind.HEAT: Fraction(110),  # g per MJ
}
CO2_FACTOR_TEXT = {
    MeterKind.GAS: "2.1622 千克/立方米",
    MeterKind.HEAT: "0.11 千克/兆焦（110 千克/吉焦）",
}
ENERGY_KINDS = (MeterKind.ELECTRICITY, MeterKind.GAS, MeterKind.HEAT)
RANKING_PER = {"total": "总量", "person": "人均", "m2": "每平方米"}
MAX_TREND_MONTHS = 60
# What each indicator is measured in (per m² of building area, per person on the establishment).
INDICATOR_UNIT = {
    Indicator.ENERGY_PER_M2: "千克标准煤/平方米",
    Indicator.ENERGY_PER_PERSON: "千克标准煤/人",
    Indicator.WATER_PER_PERSON: "立方米/人",
    Indicator.CARBON_PER_M2: "千克二氧化碳/平方米",
}
_CENT = Decimal("0.01")


def _half_up(value: Fraction) -> int:
    """The nearest integer, halves away from zero."""
    whole = int(abs(value) + Fraction(1, 2))
    return whole if value >= 0 else -whole


def kgce_milli(kind: MeterKind, amount_milli: int) -> int:
    """Standard coal in thousandths of a kgce (grams) for `amount_milli` of `kind` (0 for water)."""
    factor = KGCE_PER_MILLI.get(MeterKind(kind))
    return 0 if factor is None else _half_up(amount_milli * factor)


def co2_grams(kind: MeterKind, amount_milli: int, settings: EnergySettings) -> int:
    """CO₂ in grams for `amount_milli` of `kind` (0 for water); electricity at the grid factor
    of the settings (mg per kWh, so grams per Wh is the factor ÷ 10⁶)."""
    kind = MeterKind(kind)
    if kind is MeterKind.ELECTRICITY:
        return _half_up(Fraction(amount_milli * settings.grid_co2_mg_per_kwh, 1_000_000))
    factor = CO2_PER_MILLI.get(kind)
    return 0 if factor is None else _half_up(amount_milli * factor)


def grid_factor_text(settings: EnergySettings) -> str:
    return f"{Decimal(settings.grid_co2_mg_per_kwh) / 1_000_000:f} 千克/千瓦时（电网排放因子，可设置）"


def amount_text(kind: MeterKind, amount_milli: int) -> str:
    """ "1,234.567 千瓦时": thousandths in the kind's measure, as staff read it."""
    return f"{Decimal(amount_milli) / 1000:,.3f} {MEASURE[MeterKind(kind)]}"


def month_start(month: date) -> datetime:
    return day_start(month.replace(day=1))


def current_month() -> date:
    return now().date().replace(day=1)


def _decimal(value: Fraction | None, places_: Decimal = _CENT) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(places_, rounding=ROUND_HALF_UP)


def _invalid(problem: str) -> Exception:
    return EnergyError.INDICATOR_QUERY_INVALID.error(problem=problem)


# ---------------------------------------------------------------- reading the rollups


async def month_sums(
    first: date, months: int, role: MeterRole = MeterRole.CONSUMPTION
) -> dict[tuple[date, MeterKind], tuple[int, int]]:
    """(month, kind) -> (use, of which estimated) of every meter in `role` over `months` months
    from `first`, from MONTH rollups in one grouped query."""
    rows = (
        await Rollup.filter(
            grain=Grain.MONTH,
            period_start__gte=month_start(first),
            period_start__lt=month_start(add_months(first, months)),
            meter__role=role,
        )
        .annotate(amount=Sum("amount_milli"), estimated=Sum("estimated_milli"))
        .group_by("meter__kind", "period_start")
        .values_list("meter__kind", "period_start", "amount", "estimated")
    )
    return {
        (start.astimezone(BUSINESS_TZ).date(), MeterKind(kind)): (int(amount or 0), int(estimated or 0))
        for kind, start, amount, estimated in rows
    }


async def unit_month_sums(
    first: date, months: int, role: MeterRole, kind: MeterKind = MeterKind.ELECTRICITY
) -> dict[int | None, int]:
    """unit id (None: no unit) -> use of the meters in `role` of `kind` over `months` months from
    `first`: for PV generation and export, which belong to whoever holds the array, never shared."""
    rows = (
        await Rollup.filter(
            grain=Grain.MONTH,
            period_start__gte=month_start(first),
            period_start__lt=month_start(add_months(first, months)),
            meter__role=role,
            meter__kind=kind,
        )
        .annotate(amount=Sum("amount_milli"))
        .group_by("meter__unit_id")
        .values_list("meter__unit_id", "amount")
    )
    return {unit_id: int(amount or 0) for unit_id, amount in rows}


# ---------------------------------------------------------------- institutions


@dataclass(frozen=True)
class Institution:
    """A reporting institution (公共机构) with its establishment and building area now."""

    id: int
    code: str
    name: str
    headcount: int
    area_hundredths: int


async def institutions() -> tuple[dict[int, int], dict[int, Institution]]:
    """(unit id -> its institution's id, institution id -> Institution) over the whole tree."""
    units = await people.list_units(Scope.EVERYTHING)
    by_code = {u["code"]: u for u in units}
    institution_of = {}
    for unit in units:
        codes = unit["path"].strip("/").split("/")
        institution_of[unit["id"]] = by_code[codes[min(len(codes), 2) - 1]]["id"]
    ids = sorted(set(institution_of.values()))
    heads = await people.established_headcount(ids)
    areas = await places.area_by_unit(ids)
    found = {}
    for unit in units:
        if unit["id"] not in ids:
            continue
        headcount, area = heads.get(unit["id"], 0), areas.get(unit["id"], 0)
        if unit["parent_id"] is None:
            # A root's subtree holds the agencies too: what is its own is what no agency holds.
            agencies = [u["id"] for u in units if u["parent_id"] == unit["id"]]
            headcount -= sum(heads.get(a, 0) for a in agencies)
            area -= sum(areas.get(a, 0) for a in agencies)
        found[unit["id"]] = Institution(unit["id"], unit["code"], unit["name"], headcount, area)
    return institution_of, found


async def institution_use(
    month: date, kind: MeterKind | None = None, institution_of: dict[int, int] | None = None, months: int = 1
) -> dict[tuple[int, MeterKind], int]:
    """(institution id, kind) -> the use of the institution's units, shares included, over
    `months` months from `month` (`institution_of` from `institutions()`, read here when not given)."""
    if institution_of is None:
        institution_of, _ = await institutions()
    found: dict[tuple[int, MeterKind], int] = defaultdict(int)
    for use in (await budgets.use_by_month(month, months, kind)).values():
        for (unit_id, unit_kind), amount in use.items():
            found[institution_of.get(unit_id, unit_id), MeterKind(unit_kind)] += amount
    return dict(found)


# ---------------------------------------------------------------- trend and ranking


async def _subtree(unit_id: int) -> list[int]:
    unit = (await people.units_by_id([unit_id])).get(unit_id)
    if unit is None:
        raise EnergyError.REPORT_UNIT_NOT_FOUND.error()
    return await people.units_within(Scope.units([unit.path])) or []


async def trend(start_month: date, months: int, unit_id: int | None, kind: MeterKind | None) -> list[dict]:
    """Use month by month from `start_month`, for every kind or one, for the whole estate
    (every consumption meter) or one unit and the units below it (with their shares of shared
    meters): per month `amounts` (kind -> thousandths, every kind asked for, quiet ones as 0)
    and `kgce_milli`, the energy kinds converted to standard coal."""
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MAX_TREND_MONTHS:
        raise _invalid(f"月数应为 1 到 {MAX_TREND_MONTHS}")
    if not plausible(start_month):
        raise _invalid("起始月份应在 2000 至 2100 年间")
    first = start_month.replace(day=1)
    kinds = [MeterKind(kind)] if kind is not None else list(MeterKind)
    sums: dict[tuple[date, MeterKind], int] = defaultdict(int)
    if unit_id is None:
        for key, (amount, _) in (await month_sums(first, months)).items():
            sums[key] = amount
    else:
        units = set(await _subtree(unit_id))
        for month, use in (await budgets.use_by_month(first, months, kind, units)).items():
            for (used_by, used_kind), amount in use.items():
                if used_by in units:
                    sums[month, MeterKind(used_kind)] += amount
    rows = []
    for i in range(months):
        month = add_months(first, i)
        amounts = {k.value: sums.get((month, k), 0) for k in kinds}
        rows.append(
            {
                "month": month,
                "label": f"{month.year}-{month.month:02d}",
                "amounts": amounts,
                "kgce_milli": sum(kgce_milli(k, amounts[k.value]) for k in kinds),
            }
        )
    return rows


async def ranking(month: date, kind: MeterKind, per: str) -> list[dict]:
    """Institutions using `kind` in `month`, ranked by use in total, per person on the
    establishment or per m² of building area, highest first. An institution without people
    (or area) has no figure per person (per m²) and comes last."""
    if per not in RANKING_PER:
        raise _invalid("排名方式应为总量、人均或每平方米")
    if not plausible(month):
        raise _invalid("月份应在 2000 至 2100 年间")
    kind = MeterKind(kind)
    month = month.replace(day=1)
    institution_of, found = await institutions()
    rows = []
    for (institution_id, _), amount in (await institution_use(month, kind, institution_of)).items():
        institution = found.get(institution_id)
        if institution is None:
            continue
        if per == "person":
            value = Fraction(amount, 1000 * institution.headcount) if institution.headcount > 0 else None
        elif per == "m2":
            value = Fraction(amount, 10 * institution.area_hundredths) if institution.area_hundredths > 0 else None
        else:
            value = Fraction(amount, 1000)
        rows.append(
            {
                "unit_id": institution.id,
                "unit_name": institution.name,
                "amount_milli": amount,
                "headcount": institution.headcount,
                "area_hundredths": institution.area_hundredths,
                "value": _decimal(value, Decimal("0.001")),
                "measure": MEASURE[kind] + {"total": "", "person": "/人", "m2": "/平方米"}[per],
                "_sort": value,
            }
        )
    rows.sort(key=lambda r: (r["_sort"] is None, -(r["_sort"] or 0), r["unit_name"]))
    for rank, row in enumerate(rows, start=1):
        del row["_sort"]
        row["rank"] = rank
    return rows


# ---------------------------------------------------------------- the plan's indicators


@dataclass(frozen=True)
class _Figures:
    """A year's totals: use by kind, standard coal and CO₂, area and headcount."""

    amounts: dict[MeterKind, int]
    area_hundredths: int
    headcount: int
    settings: EnergySettings

    @property
    def kgce(self) -> int:
        return sum(kgce_milli(k, self.amounts.get(k, 0)) for k in ENERGY_KINDS)

    @property
    def co2(self) -> int:
        return sum(co2_grams(k, self.amounts.get(k, 0), self.settings) for k in ENERGY_KINDS)

    def value(self, indicator: Indicator) -> Fraction | None:
        """The indicator in its measure (kgce, m³ or kg CO₂ per m² or per person)."""
        if indicator in (Indicator.ENERGY_PER_M2, Indicator.CARBON_PER_M2):
            if self.area_hundredths <= 0:
                return None
            numerator = self.kgce if indicator is Indicator.ENERGY_PER_M2 else self.co2
            return Fraction(numerator * 100, 1000 * self.area_hundredths)
        if self.headcount <= 0:
            return None
        numerator = self.kgce if indicator is Indicator.ENERGY_PER_PERSON else self.amounts.get(MeterKind.WATER, 0)
        return Fraction(numerator, 1000 * self.headcount)


def _span_of(year: int) -> tuple[datetime, datetime, Fraction]:
    """The year's start, how far it has run (its end once over), and the share of it run."""
    start, end = day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))
    until = min(now(), end)
    return start, until, Fraction(int((until - start).total_seconds()), int((end - start).total_seconds()))


def _percent(value: Fraction | None) -> Decimal | None:
    return _decimal(value * 100) if value is not None else None


def _target_for(year: int, indicator: Indicator, targets: list[dict]) -> dict | None:
    """The indicator's target this year works toward: the nearest target year not before it,
    else the last one set."""
    mine = sorted((t for t in targets if t["indicator"] == indicator.value), key=lambda t: t["target_year"])
    ahead = [t for t in mine if t["target_year"] >= year]
    return ahead[0] if ahead else (mine[-1] if mine else None)


def _measured(
    indicator: Indicator,
    year: int,
    current: _Figures,
    target: dict | None,
    baseline: dict | None,
    settings: EnergySettings,
) -> dict:
    value = current.value(indicator)
    row = {
        "indicator": indicator.value,
        "label": indicator.label,
        "measure": INDICATOR_UNIT[indicator],
        "value": _decimal(value),
        "baseline_year": None,
        "baseline_value": None,
        "change_pct": None,
        "target_year": None,
        "target_reduction_pct": None,
        "expected_reduction_pct": None,
        "on_track": None,
        "status": "未设置基准年与目标",
    }
    if target is not None:
        row["target_year"] = target["target_year"]
        row["target_reduction_pct"] = Decimal(target["reduction_bp"]) / 100
        row["status"] = f"基准年 {target['baseline_year']} 尚未录入"
    if baseline is None:
        return row
    base_figures = _Figures(
        {k: baseline["amounts"][k.value] for k in MeterKind},
        baseline["area_hundredths"],
        baseline["headcount"],
        settings,
    )
    base_value = base_figures.value(indicator)
    row["baseline_year"] = baseline["year"]
    row["baseline_value"] = _decimal(base_value)
    if value is None or not base_value:
        row["status"] = "缺少面积或人数，无法计算"
        return row
    change = (value - base_value) / base_value
    row["change_pct"] = _percent(change)
    if target is None:
        row["status"] = "未设置目标"
        return row
    # On the straight line from the baseline year to the target year, this year should have
    # come this far (the whole way in and after the target year).
    span = target["target_year"] - target["baseline_year"]
    done = Fraction(min(max(year - target["baseline_year"], 0), span), span)
    expected = Fraction(target["reduction_bp"], 10_000) * done
    row["expected_reduction_pct"] = _percent(expected)
    row["on_track"] = -change >= expected
    row["status"] = "达到目标进度" if row["on_track"] else "落后于目标进度"
    return row


async def _estate() -> tuple[int, int]:
    """Building area (hundredths of m²) and establishment of every institution now."""
    _, found = await institutions()
    return sum(i.area_hundredths for i in found.values()), sum(i.headcount for i in found.values())


def _pv(generation: int, export: int, settings: EnergySettings) -> dict:
    # Without a grid-export meter everything generated is taken as used on site.
    self_use = max(generation - export, 0)
    return {
        "generation_milli": generation,
        "export_milli": export,
        "self_use_milli": self_use,
        "self_use_pct": _percent(Fraction(self_use, generation)) if generation else None,
        "kgce_milli": kgce_milli(MeterKind.ELECTRICITY, generation),
        "co2_avoided_grams": co2_grams(MeterKind.ELECTRICITY, generation, settings),
    }


async def indicators(year: int, settings: EnergySettings) -> dict:
    """The plan's four indicators for `year` so far, annualised while the year runs (its use so
    far ÷ the share of the year gone, explained in `explanation`), each against its baseline
    year and target; the year's totals by kind in kgce and CO₂; PV generation and self-use where
    PV meters exist (None otherwise). Area and headcount are today's."""
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= now().year:
        raise _invalid("年份应在 2000 年至今年之间")
    start, until, share = _span_of(year)
    months = 12 if until >= day_start(date(year + 1, 1, 1)) else until.astimezone(BUSINESS_TZ).month
    sums = await month_sums(date(year, 1, 1), months)
    so_far = {k: sum(a for (_, kind), (a, _) in sums.items() if kind is k) for k in MeterKind}
    estimated = sum(e for _, e in sums.values())
    annual = {k: _half_up(Fraction(v) / share) if share else 0 for k, v in so_far.items()}
    area, headcount = await _estate()
    current = _Figures(annual, area, headcount, settings)
    targets = await plan.targets()
    rows = []
    for indicator in Indicator:
        target = _target_for(year, indicator, targets)
        baseline_year = target["baseline_year"] if target else await plan.latest_baseline_year(year)
        baseline = await plan.baseline(baseline_year) if baseline_year is not None else None
        rows.append(_measured(indicator, year, current, target, baseline, settings))
    generation = sum((await unit_month_sums(date(year, 1, 1), months, MeterRole.PV_GENERATION)).values())
    export = sum((await unit_month_sums(date(year, 1, 1), months, MeterRole.GRID_EXPORT)).values())
    has_pv = generation > 0 or await Meter.filter(role=MeterRole.PV_GENERATION).exists()
    if share >= 1:
        explanation = f"{year} 年全年实际用量。"
    else:
        local = until.astimezone(BUSINESS_TZ)
        explanation = (
            f"{year} 年截至 {local:%m 月 %d 日 %H:%M} 的用量，按已过时间占全年的 "
            f"{_percent(share)}% 折算为全年（用量 ÷ {_percent(share)}%），与基准年的全年用量比较。"
        )
    return {
        "year": year,
        "until": until,
        "annualised": share < 1,
        "share_pct": _percent(share),
        "explanation": explanation,
        "area_hundredths": area,
        "headcount": headcount,
        "totals": [
            {
                "kind": k.value,
                "label": k.label,
                "measure": MEASURE[k],
                "amount_milli": so_far[k],
                "annual_milli": annual[k],
                "kgce_milli": kgce_milli(k, so_far[k]),
                "co2_grams": co2_grams(k, so_far[k], settings),
            }
            for k in MeterKind
        ],
        "estimated_milli": estimated,
        "kgce_milli": sum(kgce_milli(k, so_far[k]) for k in ENERGY_KINDS),
        "co2_grams": sum(co2_grams(k, so_far[k], settings) for k in ENERGY_KINDS),
        "indicators": rows,
        "pv": _pv(generation, export, settings) if has_pv else None,
    }
