"""Canteen reports as Excel workbooks, written by `backend.core.spreadsheet` so they look like
every other export: the daily report, a range or month report, and units' settlements."""

from __future__ import annotations

from datetime import date

from backend.canteen.service import booking, summaries
from backend.canteen.service import canteens as service
from backend.canteen.service.summaries import DateRange
from backend.core.money import yuan
from backend.core.permissions import Scope
from backend.core.spreadsheet import Sheet, workbook

PERIOD_NAMES = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}
SUM_HEADER = ("就餐人次", "金额（元）", "餐补（元）", "现金（元）")
# Unit names repeat across the tree (every agency has its 办公室): the code tells them apart.
UNIT_HEADER = ("单位编码", "单位", "人员类别", *SUM_HEADER)


def rate_text(row: dict) -> str:
    """A no-show rate as a person reads it; none where nobody booked."""
    return f"{row['no_show_rate'] * 100:.1f}%" if row["booked"] else "—"


def _sums(row: dict) -> list:
    return [row["meals"], yuan(row["amount_fen"]), yuan(row["subsidy_fen"]), yuan(row["cash_fen"])]


def _total(rows: list[dict], blanks: int) -> list:
    return ["合计", *[""] * blanks, *_sums(summaries.totals(rows))]


async def daily_workbook(day: date, *, scope: Scope) -> bytes:
    """The day's totals per canteen, terminal and period, with a total line; and on a second
    sheet, per canteen and period, who booked, who ate and the no-show rate."""
    lines = [{**line, "meals": line["count"]} for line in await service.daily_totals(day, scope=scope)]
    attendance = await booking.attendance(day, day, scope=scope)
    return await workbook(
        [
            Sheet(
                "日报",
                ("食堂", "终端", "餐次", "笔数", *SUM_HEADER[1:]),
                [
                    [
                        line["canteen_name"],
                        line["terminal"],
                        line["period_name"],
                        *_sums(line),
                    ]
                    for line in lines
                ],
                caption=f"食堂消费日报 {day.isoformat()}",
                footer=_total(lines, 2),
            ),
            Sheet(
                "报餐就餐",
                ("食堂", "餐次", "报餐人数", "已就餐", "未就餐", "未就餐率"),
                [
                    [row["canteen_name"], row["name"], row["booked"], row["eaten"], row["no_shows"], rate_text(row)]
                    for row in attendance
                ],
                caption=f"报餐与就餐 {day.isoformat()}",
            ),
        ]
    )


def _unit_rows(units: list[dict]) -> list[list]:
    """A unit's total line, then a line per staff category under it."""
    rows: list[list] = []
    for unit in units:
        rows.append([unit["code"], unit["name"], "小计", *_sums(unit)])
        rows += [[unit["code"], unit["name"], c["category_label"], *_sums(c)] for c in unit["categories"]]
    return rows


async def range_workbook(span: DateRange, *, scope: Scope, canteen: str | None = None) -> bytes:
    """The range report: per day, per canteen, per unit and staff category, per staff category,
    each on its own sheet with a total line."""
    trend = await summaries.daily_trend(span, scope=scope, canteen=canteen)
    canteens = await summaries.by_canteen(span, scope=scope, canteen=canteen)
    units = await summaries.by_unit(span, scope=scope, canteen=canteen)
    categories = await summaries.by_category(span, scope=scope, canteen=canteen)
    caption = f"食堂消费报表 {span.label}"
    return await workbook(
        [
            Sheet(
                "按日",
                ("日期", *SUM_HEADER),
                [[d["day"].isoformat(), *_sums(d)] for d in trend],
                caption,
                _total(trend, 0),
            ),
            Sheet(
                "按食堂",
                ("食堂", *SUM_HEADER),
                [[c["name"], *_sums(c)] for c in canteens],
                caption,
                _total(canteens, 0),
            ),
            Sheet("按单位", UNIT_HEADER, _unit_rows(units), caption, _total(units, 2)),
            Sheet(
                "按人员类别",
                ("人员类别", *SUM_HEADER),
                [[c["category_label"], *_sums(c)] for c in categories],
                caption,
                _total(categories, 0),
            ),
        ]
    )


def _settlement_sheets(span: DateRange, unit: dict) -> list[Sheet]:
    caption = f"{unit['name']}（{unit['code']}）就餐结算 {span.label}"
    return [
        Sheet(
            "按人员类别",
            ("人员类别", *SUM_HEADER),
            [[c["category_label"], *_sums(c)] for c in unit["categories"]],
            caption,
            _total(unit["categories"], 0),
        ),
        Sheet(
            "按人员",
            ("工号", "姓名", "人员类别", *SUM_HEADER),
            [[p["employee_no"], p["name"], p["category_label"], *_sums(p)] for p in unit["people"]],
            caption,
            _total(unit["people"], 2),
        ),
    ]


async def settlement_workbook(span: DateRange, unit: dict) -> bytes:
    """One unit's settlement (what `summaries.unit_settlement` gives) as its own file: per
    staff category and per person."""
    return await workbook(_settlement_sheets(span, unit))


async def settlements_workbook(span: DateRange, units: list[dict]) -> bytes:
    """Every unit's settlement: a summary sheet of the units, then each unit's own sheet of its
    staff categories, for a finance office that settles them all at once."""
    summary = Sheet(
        "汇总",
        UNIT_HEADER,
        _unit_rows(units),
        f"各单位就餐结算 {span.label}",
        _total(units, 2),
    )
    return await workbook(
        [
            summary,
            *(
                Sheet(
                    f"{unit['name']}（{unit['code'] or '—'}）",
                    ("人员类别", *SUM_HEADER),
                    [[c["category_label"], *_sums(c)] for c in unit["categories"]],
                    f"{unit['name']} 就餐结算 {span.label}",
                    _total(unit["categories"], 0),
                )
                for unit in units
            ),
        ]
    )
