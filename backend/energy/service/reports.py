"""Energy reports as Excel workbooks: a unit's monthly report (its use by kind with its share of
shared meters, budgets, use day by day, each meter, and how the figures were made) and the
statistics table the province's public-institution energy network asks for
(公共机构能源资源消费统计).

The statistics table follows the national 《公共机构能源资源消费统计调查制度》 (国管局, revised
2022 and 2025): per institution its basic facts (建筑面积, 用能人数) and its consumption in the
measures the forms use (water in 吨, electricity in 千瓦时, natural gas in 立方米, heat in 百万千焦
= GJ, 太阳能光电系统发电量 in 千瓦时), the total energy in 吨标准煤, and the three intensities the
statistics publish (单位建筑面积能耗, 人均综合能耗, 人均用水量), with carbon besides. The forms'
money columns (金额) are left to finance: the platform meters quantities, not bills.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from fractions import Fraction

from backend.accounts.service import people
from backend.core.permissions import Scope
from backend.core.spreadsheet import Sheet, workbook
from backend.core.timeutil import BUSINESS_TZ, add_months, now, plausible
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import MEASURE, CommState, Grain, Meter, MeterKind, MeterRole, Rollup
from backend.energy.service import budgets, rollups
from backend.energy.service.indicators import (
    CO2_FACTOR_TEXT,
    ENERGY_KINDS,
    KGCE_FACTOR_TEXT,
    co2_grams,
    current_month,
    grid_factor_text,
    institution_use,
    institutions,
    kgce_milli,
    month_start,
    unit_month_sums,
)
from backend.places import service as places


def _quantity(milli: int) -> float:
    """Thousandths as a number cell in the whole measure (a float: the workbook helper formats
    every Decimal as money)."""
    return round(milli / 1000, 3)


def _ratio(value: Fraction | None, digits: int = 2) -> float | str:
    return "" if value is None else round(float(value), digits)


def _change_pct(current: int, before: int) -> float | str:
    """Per cent change from `before` to `current`, one decimal; blank when there was nothing."""
    return _ratio(Fraction(current - before, before) * 100, 1) if before else ""


def _invalid(problem: str) -> Exception:
    return EnergyError.REPORT_RANGE_INVALID.error(problem=problem)


def _coefficient_notes(settings: EnergySettings) -> list[list[str]]:
    return [
        *[[f"折标准煤系数（{k.label}）", f"{KGCE_FACTOR_TEXT[k]}，GB/T 2589-2020 当量值"] for k in ENERGY_KINDS],
        ["二氧化碳排放因子（电）", grid_factor_text(settings)],
        *[
            [f"二氧化碳排放因子（{k.label}）", f"{CO2_FACTOR_TEXT[k]}，公共建筑温室气体排放核算指南缺省值"]
            for k in (MeterKind.GAS, MeterKind.HEAT)
        ],
    ]


# ---------------------------------------------------------------- a unit's month


def _report_month(month: date) -> date:
    if not plausible(month):
        raise _invalid("月份应在 2000 至 2100 年间")
    month = month.replace(day=1)
    if month > current_month():
        raise _invalid("该月份尚未开始")
    return month


async def _use_of(units: set[int], month: date) -> dict[MeterKind, int]:
    found: dict[MeterKind, int] = defaultdict(int)
    for (unit_id, kind), amount in (await budgets.unit_use(month)).items():
        if unit_id in units:
            found[MeterKind(kind)] += amount
    return found


async def unit_month_report(unit_id: int, month: date, settings: EnergySettings) -> bytes:
    """The unit's (and the units below it) use in `month` as an .xlsx file: by kind (its own
    meters, its share of shared meters, what was estimated over gaps, against last month and
    the same month last year, in kgce and CO₂), its budgets, its own meters day by day, each
    meter, and a sheet saying how the figures were made."""
    month = _report_month(month)
    unit = (await people.units_by_id([unit_id])).get(unit_id)
    if unit is None:
        raise EnergyError.REPORT_UNIT_NOT_FOUND.error()
    subtree = set(await people.units_within(Scope.units([unit.path])) or [])
    start, end = month_start(month), month_start(add_months(month, 1))
    meters = (
        await Meter.filter(unit_id__in=sorted(subtree), role=MeterRole.CONSUMPTION)
        .order_by("kind", "code")
        .values("id", "code", "name", "kind", "place_id", "multiplier", "comm_state", "last_read_at")
    )
    month_rows = {
        meter_id: (amount, estimated)
        for meter_id, amount, estimated in await Rollup.filter(
            meter_id__in=[m["id"] for m in meters], grain=Grain.MONTH, period_start=start
        ).values_list("meter_id", "amount_milli", "estimated_milli")
    }
    total = await _use_of(subtree, month)
    previous = await _use_of(subtree, add_months(month, -1))
    last_year = await _use_of(subtree, add_months(month, -12))
    own: dict[MeterKind, int] = defaultdict(int)
    estimated: dict[MeterKind, int] = defaultdict(int)
    for meter in meters:
        amount, guessed = month_rows.get(meter["id"], (0, 0))
        own[MeterKind(meter["kind"])] += amount
        estimated[MeterKind(meter["kind"])] += guessed
    kinds = [k for k in MeterKind if k in total or k in own]

    summary_rows, kgce_total, co2_total = [], 0, 0
    for kind in kinds:
        used = total.get(kind, 0)
        kgce, co2 = kgce_milli(kind, used), co2_grams(kind, used, settings)
        kgce_total, co2_total = kgce_total + kgce, co2_total + co2
        summary_rows.append(
            [
                kind.label,
                MEASURE[kind],
                _quantity(used),
                _quantity(own.get(kind, 0)),
                _quantity(used - own.get(kind, 0)),
                _quantity(estimated.get(kind, 0)),
                _quantity(previous.get(kind, 0)),
                _change_pct(used, previous.get(kind, 0)),
                _quantity(last_year.get(kind, 0)),
                _change_pct(used, last_year.get(kind, 0)),
                _quantity(kgce),
                _quantity(co2),
            ]
        )

    budget_rows = [
        [
            row["unit_name"],
            MeterKind(row["kind"]).label,
            _quantity(row["amount_milli"]),
            _quantity(row["used_milli"]),
            MEASURE[MeterKind(row["kind"])],
            "" if row["percent"] is None else row["percent"],
            row["state_label"],
        ]
        for row in await budgets.budget_status(month, sorted(subtree))
    ]

    days = [date.fromordinal(month.toordinal() + i) for i in range((add_months(month, 1) - month).days)]
    meter_kinds = [k for k in MeterKind if any(MeterKind(m["kind"]) is k for m in meters)]
    daily: dict[MeterKind, dict[date, int]] = {}
    for kind in meter_kinds:
        ids = [m["id"] for m in meters if MeterKind(m["kind"]) is kind]
        series = await rollups.series(ids, Grain.DAY, start, end)
        daily[kind] = {at.astimezone(BUSINESS_TZ).date(): amount for at, amount in series.items()}

    place_names = await places.full_names({m["place_id"] for m in meters})
    meter_rows = []
    for meter in meters:
        kind = MeterKind(meter["kind"])
        amount, guessed = month_rows.get(meter["id"], (0, 0))
        read_at = meter["last_read_at"]
        meter_rows.append(
            [
                meter["code"],
                meter["name"],
                kind.label,
                place_names.get(meter["place_id"], ""),
                meter["multiplier"],
                _quantity(amount),
                MEASURE[kind],
                _quantity(guessed),
                CommState(meter["comm_state"]).label,
                read_at.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M") if read_at else "",
            ]
        )

    title = f"{unit.name} {month.year}年{month.month}月"
    notes = [
        ["单位", f"{unit.name}（含下属单位）"],
        ["统计月份", f"{month.year}年{month.month}月（北京时间当月 1 日 0 时至次月 1 日 0 时）"],
        ["数据来源", "各电表、水表的月汇总：相邻两次读数之差乘以倍率；换表、清零、变更倍率按登记的记录分段计算"],
        [
            "缺数估算",
            "两次读数相隔超过一个采集周期时，其间用量按时间比例分到中间各小时，记为“缺数估算”；"
            "用量来自累计读数之差，不丢失也不虚增",
        ],  # fmt: skip
        ["待复核读数", "倒退或突增的读数复核前不计入，之后第一个正常读数与上一个读数之差涵盖这段时间"],
        ["分摊公共表", "公共表的用量按面积或在编人数分摊给共用单位（最大余数法，合计等于表的用量）"],
        ["按日用量", "只含本单位自己的表，不含分摊的公共表"],
        *_coefficient_notes(settings),
        ["生成时间", now().strftime("%Y-%m-%d %H:%M")],
    ]
    return await workbook(
        [
            Sheet(
                "汇总",
                [
                    "种类",
                    "计量单位",
                    "本月用量",
                    "本单位表",
                    "分摊公共表",
                    "其中缺数估算",
                    "上月用量",
                    "环比（%）",
                    "去年同月",
                    "同比（%）",
                    "折标准煤（千克）",
                    "二氧化碳（千克）",
                ],  # fmt: skip
                summary_rows,
                caption=f"{title}能耗报表",
                footer=["合计", "", "", "", "", "", "", "", "", "", _quantity(kgce_total), _quantity(co2_total)],
            ),
            Sheet(
                "预算",
                ["单位", "种类", "预算", "已用", "计量单位", "已用比例（%）", "状态"],
                budget_rows,
                caption=f"{title}用能预算",
            ),
            Sheet(
                "按日",
                ["日期", *[f"{k.label}（{MEASURE[k]}）" for k in meter_kinds]],
                [[day.isoformat(), *[_quantity(daily[k].get(day, 0)) for k in meter_kinds]] for day in days],
                caption=f"{title}按日用量（本单位表，不含分摊）",
                footer=["合计", *[_quantity(sum(daily[k].values())) for k in meter_kinds]],
            ),
            Sheet(
                "电表",
                [
                    "表号",
                    "名称",
                    "种类",
                    "位置",
                    "倍率",
                    "本月用量",
                    "计量单位",
                    "其中缺数估算",
                    "通信状态",
                    "最近读数时间",
                ],  # fmt: skip
                meter_rows,
                caption=f"{title}各表用量",
            ),
            Sheet("说明", ["项目", "说明"], notes, caption="数据说明"),
        ]
    )


# ---------------------------------------------------------------- the province's statistics


def _statistics_period(year: int, quarter: int | None) -> tuple[date, int, str]:
    """(first month, months, label) of a year or one of its quarters, refused when malformed or
    not yet begun."""
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise _invalid("年份应在 2000 至 2100 年间")
    if quarter is not None and (isinstance(quarter, bool) or not isinstance(quarter, int) or not 1 <= quarter <= 4):
        raise _invalid("季度应为 1 到 4")
    first = date(year, 1 if quarter is None else 3 * quarter - 2, 1)
    if first > current_month():
        raise _invalid("统计期尚未开始")
    months = 12 if quarter is None else 3
    label = f"{year}年" if quarter is None else f"{year}年第{quarter}季度"
    if add_months(first, months) > current_month():
        label += f"（截至 {now():%m月%d日}）"
    return first, months, label


# (kind, name, measure) of each consumption in the forms' order and measures.
_CONSUMPTION_COLUMNS = (
    (MeterKind.WATER, "用水量", "吨"),
    (MeterKind.ELECTRICITY, "用电量", "千瓦时"),
    (MeterKind.GAS, "天然气消费量", "立方米"),
    (MeterKind.HEAT, "热力消费量", "百万千焦"),
)


def _intensities(water: int, kgce: int, co2: int, area_hundredths: int, headcount: int) -> list:
    """单位建筑面积能耗, 人均综合能耗, 人均用水量, 单位建筑面积碳排放 (kg or m³ per m² or person)."""
    per_m2 = (lambda grams: Fraction(grams * 100, 1000 * area_hundredths)) if area_hundredths > 0 else None
    per_person = (lambda milli: Fraction(milli, 1000 * headcount)) if headcount > 0 else None
    return [
        _ratio(per_m2(kgce)) if per_m2 else "",
        _ratio(per_person(kgce)) if per_person else "",
        _ratio(per_person(water)) if per_person else "",
        _ratio(per_m2(co2)) if per_m2 else "",
    ]


async def province_statistics(year: int, quarter: int | None, settings: EnergySettings) -> bytes:
    """公共机构能源资源消费统计表 for `year` (or one quarter of it) as an .xlsx file: each
    institution's basic facts, its consumption, energy in tce and intensities, a summary against
    the same period last year, and the coefficients used."""
    first, months, label = _statistics_period(year, quarter)
    institution_of, found = await institutions()
    use = await institution_use(first, None, institution_of, months)
    before = await institution_use(add_months(first, -12), None, institution_of, months)
    pv: dict[int, int] = defaultdict(int)
    pv_total = 0
    for unit_id, amount in (await unit_month_sums(first, months, MeterRole.PV_GENERATION)).items():
        pv_total += amount
        if unit_id is not None:
            pv[institution_of.get(unit_id, unit_id)] += amount
    pv_before = sum((await unit_month_sums(add_months(first, -12), months, MeterRole.PV_GENERATION)).values())

    reporting = [
        i
        for i in sorted(found.values(), key=lambda i: i.code)
        if i.headcount > 0 or i.area_hundredths > 0 or pv.get(i.id) or any(use.get((i.id, k)) for k in MeterKind)
    ]
    basics, consumption = [], []
    for n, institution in enumerate(reporting, start=1):
        amounts = {k: use.get((institution.id, k), 0) for k in MeterKind}
        kgce = sum(kgce_milli(k, amounts[k]) for k in ENERGY_KINDS)
        co2 = sum(co2_grams(k, amounts[k], settings) for k in ENERGY_KINDS)
        basics.append([n, institution.name, institution.code, _quantity(institution.area_hundredths * 10),
                       institution.headcount])  # fmt: skip
        consumption.append(
            [
                n,
                institution.name,
                *[_quantity(amounts[k]) for k, _, _ in _CONSUMPTION_COLUMNS],
                _quantity(pv.get(institution.id, 0)),
                round(kgce / 1_000_000, 3),
                round(co2 / 1_000_000, 3),
                *_intensities(amounts[MeterKind.WATER], kgce, co2, institution.area_hundredths, institution.headcount),
            ]
        )
    area = sum(i.area_hundredths for i in reporting)
    heads = sum(i.headcount for i in reporting)
    counted = {i.id for i in reporting}

    def totals(source: dict[tuple[int, MeterKind], int]) -> dict[MeterKind, int]:
        return {k: sum(v for (owner, kind), v in source.items() if kind is k and owner in counted) for k in MeterKind}

    now_amounts, then_amounts = totals(use), totals(before)
    now_kgce = sum(kgce_milli(k, now_amounts[k]) for k in ENERGY_KINDS)
    then_kgce = sum(kgce_milli(k, then_amounts[k]) for k in ENERGY_KINDS)
    now_co2 = sum(co2_grams(k, now_amounts[k], settings) for k in ENERGY_KINDS)
    then_co2 = sum(co2_grams(k, then_amounts[k], settings) for k in ENERGY_KINDS)
    now_ratios = _intensities(now_amounts[MeterKind.WATER], now_kgce, now_co2, area, heads)
    then_ratios = _intensities(then_amounts[MeterKind.WATER], then_kgce, then_co2, area, heads)
    summary = [
        ["建筑面积", "平方米", _quantity(area * 10), "", ""],
        ["用能人数", "人", heads, "", ""],
        *[
            [
                name,
                measure,
                _quantity(now_amounts[k]),
                _quantity(then_amounts[k]),
                _change_pct(now_amounts[k], then_amounts[k]),
            ]  # fmt: skip
            for k, name, measure in _CONSUMPTION_COLUMNS
        ],
        ["太阳能光电系统发电量", "千瓦时", _quantity(pv_total), _quantity(pv_before), _change_pct(pv_total, pv_before)],
        [
            "能源消费总量",
            "吨标准煤",
            round(now_kgce / 1_000_000, 3),
            round(then_kgce / 1_000_000, 3),
            _change_pct(now_kgce, then_kgce),
        ],  # fmt: skip
        [
            "二氧化碳排放量",
            "吨",
            round(now_co2 / 1_000_000, 3),
            round(then_co2 / 1_000_000, 3),
            _change_pct(now_co2, then_co2),
        ],  # fmt: skip
        *[
            [name, measure, now_ratio, then_ratio, ""]
            for (name, measure), now_ratio, then_ratio in zip(
                (
                    ("单位建筑面积能耗", "千克标准煤/平方米"),
                    ("人均综合能耗", "千克标准煤/人"),
                    ("人均用水量", "吨/人"),
                    ("单位建筑面积碳排放", "千克/平方米"),
                ),  # fmt: skip
                now_ratios,
                then_ratios,
                strict=True,
            )
        ],
    ]
    notes = [
        ["统计期", label],
        ["统计对象", "行政中心各公共机构（各机关单位，含其下属处室）；机关事务管理局本级只计不属于各单位的人员与房间"],
        ["建筑面积", "各单位使用房间的建筑面积之和（未登记建筑面积的房间按使用面积计），按当前房间登记"],
        ["用能人数", "当前人员名册中的在编人数（与用能预算一致）"],
        ["能源资源消费量", "电表、水表、燃气表、热量表的读数之差乘以倍率；公共表按面积或人数分摊到各单位"],
        ["热力", "1 百万千焦 = 1 吉焦"],
        ["能耗强度", "按统计期的用量计算，季度报表不折算全年；上年同期的强度按当前面积与人数计算"],
        ["金额", "本表只含实物量，各项费用由财务另行填报"],
        *_coefficient_notes(settings),
        ["生成时间", now().strftime("%Y-%m-%d %H:%M")],
    ]
    return await workbook(
        [
            Sheet(
                "基本信息",
                ["序号", "单位名称", "单位编码", "建筑面积（平方米）", "用能人数（人）"],
                basics,
                caption=f"公共机构基本信息 · {label}",
                footer=["合计", "", "", _quantity(area * 10), heads],
            ),
            Sheet(
                "能源资源消费",
                [
                    "序号",
                    "单位名称",
                    *[f"{name}（{measure}）" for _, name, measure in _CONSUMPTION_COLUMNS],
                    "太阳能光电系统发电量（千瓦时）",
                    "能源消费总量（吨标准煤）",
                    "二氧化碳排放量（吨）",
                    "单位建筑面积能耗（千克标准煤/平方米）",
                    "人均综合能耗（千克标准煤/人）",
                    "人均用水量（吨/人）",
                    "单位建筑面积碳排放（千克/平方米）",
                ],  # fmt: skip
                consumption,
                caption=f"公共机构能源资源消费状况 · {label}",
                footer=[
                    "合计",
                    "",
                    *[_quantity(now_amounts[k]) for k, _, _ in _CONSUMPTION_COLUMNS],
                    _quantity(sum(pv.get(i, 0) for i in counted)),
                    round(now_kgce / 1_000_000, 3),
                    round(now_co2 / 1_000_000, 3),
                    *now_ratios,
                ],  # fmt: skip
            ),
            Sheet(
                "汇总",
                ["指标名称", "计量单位", "本期", "上年同期", "增减（%）"],
                summary,
                caption=f"公共机构能源资源消费汇总 · {label}",
            ),
            Sheet("说明", ["项目", "说明"], notes, caption="填报说明"),
        ]
    )
