"""The baseline year and the plan's targets (基准与目标): the baseline year's floor area,
headcount and use of each kind, typed by the energy office from that year's statistics, and the
plan's targets, each an indicator to be cut by a percentage from a baseline year by a target
year (−6 % energy per m², −7 % per person, −7 % water per person, −7 % carbon per m² against 2020
in the five-year plans). Both are set by an admin and audited; re-setting a year or an
indicator's target year replaces it."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.core.timeutil import now
from backend.energy.errors import EnergyError
from backend.energy.models import MEASURE, Baseline, Indicator, MeterKind, Target

MAX_AREA_HUNDREDTHS = 10**11  # a billion m²
MAX_HEADCOUNT = 1_000_000
MAX_AMOUNT_MILLI = 10**15  # a trillion kWh, m³ or GJ in a year
_AMOUNT_FIELD = {
    MeterKind.ELECTRICITY: "electricity_milli",
    MeterKind.WATER: "water_milli",
    MeterKind.GAS: "gas_milli",
    MeterKind.HEAT: "heat_milli",
}


def _invalid(problem: str) -> Exception:
    return EnergyError.TARGET_INVALID.error(problem=problem)


def _scaled(text: object, places: int, what: str, largest: int, positive: bool) -> int:
    """A decimal typed by a person with at most `places` decimals, as an integer of 10^-places."""
    raw = str(text if text is not None else "").strip().replace(",", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise _invalid(f"{what}“{raw}”不是数字")
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise _invalid(f"{what}最多 {places} 位小数")
    if scaled < (1 if positive else 0) or scaled > largest:
        raise _invalid(f"{what}应{'大于' if positive else '不小于'} 0 且不超过 {Decimal(largest).scaleb(-places):f}")
    return int(scaled)


def _year(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 2000 <= value <= 2100:
        raise _invalid(f"{what}应为 2000 至 2100 年间的年份")
    return value


def _area_text(hundredths: int) -> str:
    return f"{Decimal(hundredths) / 100:,.2f} 平方米"


def _amount_text(kind: MeterKind, milli: int) -> str:
    return f"{Decimal(milli) / 1000:,.3f} {MEASURE[kind]}"


def baseline_view(row: Baseline) -> dict:
    amounts = {kind.value: getattr(row, field) for kind, field in _AMOUNT_FIELD.items()}
    return {
        "id": row.id,
        "year": row.year,
        "area_hundredths": row.area_hundredths,
        "area_text": _area_text(row.area_hundredths),
        "headcount": row.headcount,
        "amounts": amounts,
        "amount_texts": {kind.value: _amount_text(kind, amounts[kind.value]) for kind in MeterKind},
    }


def _audited_baseline(view: dict) -> dict:
    """What the audit log shows: the figures as typed, in their measures."""
    return {
        "year": view["year"],
        "area": view["area_text"],
        "headcount": view["headcount"],
        **{kind.value: view["amount_texts"][kind.value] for kind in MeterKind},
    }


async def set_baseline(
    actor: Actor, year: int, area_text: str, headcount: int, amounts: Mapping[MeterKind, str]
) -> dict:
    """Record (or replace) the baseline year: a year already over, its building area in m² (two
    decimals), its headcount and its use of each kind (three decimals, in the kind's measure;
    a kind left out or blank is 0)."""
    year = _year(year, "基准年")
    if year >= now().year:
        raise _invalid("基准年应为已经过去的年份")
    area = _scaled(area_text, 2, "建筑面积", MAX_AREA_HUNDREDTHS, positive=True)
    if isinstance(headcount, bool) or not isinstance(headcount, int) or not 1 <= headcount <= MAX_HEADCOUNT:
        raise _invalid(f"人数应为 1 到 {MAX_HEADCOUNT} 之间的整数")
    values: dict[str, int] = dict.fromkeys(_AMOUNT_FIELD.values(), 0)
    for key, text in amounts.items():
        try:
            kind = MeterKind(key)
        except ValueError:
            raise _invalid(f"没有“{key}”这种能源") from None
        if str(text or "").strip():
            values[_AMOUNT_FIELD[kind]] = _scaled(text, 3, f"{kind.label}的用量", MAX_AMOUNT_MILLI, positive=False)
    async with in_transaction() as conn:
        row = await Baseline.filter(year=year).using_db(conn).select_for_update().first()
        before = _audited_baseline(baseline_view(row)) if row else None
        if row is None:
            try:
                row = await Baseline.create(
                    year=year, area_hundredths=area, headcount=headcount, **values, using_db=conn
                )
            except IntegrityError:  # the same year recorded by someone else at the same moment
                raise _invalid(f"{year} 年的基准刚被他人录入，请刷新后再改") from None
        else:
            row.update_from_dict({"area_hundredths": area, "headcount": headcount, **values})
            await row.save(using_db=conn)
        view = baseline_view(row)
        await record(conn, actor, "energy.set_baseline", "baseline", row.id, before, _audited_baseline(view))
    return view


async def baseline(year: int) -> dict | None:
    """The baseline year's figures, None if not recorded."""
    row = await Baseline.get_or_none(year=year)
    return baseline_view(row) if row else None


async def baselines() -> list[dict]:
    """Every recorded baseline year, latest first."""
    return [baseline_view(row) for row in await Baseline.all().order_by("-year")]


async def latest_baseline_year(before: int) -> int | None:
    """The latest baseline year before `before` (for an indicator without a target)."""
    row = await Baseline.filter(year__lt=before).order_by("-year").first()
    return row.year if row else None


def target_view(row: Target) -> dict:
    indicator = Indicator(row.indicator)
    return {
        "id": row.id,
        "indicator": indicator.value,
        "indicator_label": indicator.label,
        "baseline_year": row.baseline_year,
        "target_year": row.target_year,
        "reduction_bp": row.reduction_bp,
        "reduction_text": f"{Decimal(row.reduction_bp) / 100:f}%",
    }


def _audited_target(view: dict) -> dict:
    return {
        "indicator": view["indicator"],
        "baseline_year": view["baseline_year"],
        "target_year": view["target_year"],
        "reduction": view["reduction_text"],
    }


async def set_target(
    actor: Actor, indicator: Indicator, baseline_year: int, target_year: int, reduction_text: str
) -> dict:
    """Set (or replace) the target of `indicator` for `target_year`: a cut of `reduction_text`
    per cent (two decimals, above 0 and below 100) from `baseline_year`, which must be recorded
    and earlier than the target year."""
    try:
        indicator = Indicator(indicator)
    except ValueError:
        raise _invalid(f"没有“{indicator}”这个指标") from None
    baseline_year = _year(baseline_year, "基准年")
    target_year = _year(target_year, "目标年")
    if target_year <= baseline_year:
        raise _invalid("目标年应晚于基准年")
    reduction = _scaled(reduction_text, 2, "下降比例", 9_999, positive=True)
    async with in_transaction() as conn:
        if not await Baseline.filter(year=baseline_year).using_db(conn).exists():
            raise _invalid(f"基准年 {baseline_year} 尚未录入，请先录入基准年数据")
        row = (
            await Target.filter(indicator=indicator, target_year=target_year).using_db(conn).select_for_update().first()
        )
        before = _audited_target(target_view(row)) if row else None
        if row is None:
            try:
                row = await Target.create(
                    indicator=indicator,
                    baseline_year=baseline_year,
                    target_year=target_year,
                    reduction_bp=reduction,
                    using_db=conn,
                )
            except IntegrityError:  # the same target set by someone else at the same moment
                raise _invalid(f"{indicator.label}的 {target_year} 年目标刚被他人设置，请刷新后再改") from None
        else:
            row.update_from_dict({"baseline_year": baseline_year, "reduction_bp": reduction})
            await row.save(using_db=conn)
        view = target_view(row)
        await record(conn, actor, "energy.set_target", "target", row.id, before, _audited_target(view))
    return view


async def targets() -> list[dict]:
    """Every target, by target year, then in the plan's order of indicators."""
    order = {indicator.value: i for i, indicator in enumerate(Indicator)}
    rows = [target_view(row) for row in await Target.all()]
    return sorted(rows, key=lambda t: (t["target_year"], order[t["indicator"]]))


async def baseline_names(ids: list[int]) -> dict[int, str]:
    """How the audit log names baselines: "2020 年基准"."""
    return {row_id: f"{year} 年基准" for row_id, year in await Baseline.filter(id__in=ids).values_list("id", "year")}


async def target_names(ids: list[int]) -> dict[int, str]:
    """How the audit log names targets: "单位建筑面积能耗 2025 年目标"."""
    rows = await Target.filter(id__in=ids).values_list("id", "indicator", "target_year")
    return {row_id: f"{Indicator(indicator).label} {year} 年目标" for row_id, indicator, year in rows}
