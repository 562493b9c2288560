"""STAND-IN (helper indicators writes the real file): the monthly report of a unit and the
province's statistics table."""

from __future__ import annotations

from datetime import date

from backend.core.spreadsheet import table_workbook
from backend.energy.service import budgets


async def unit_month_report(unit_id: int, month: date, settings) -> bytes:
    rows = [
        [r["kind_label"], r["amount_milli"] / 1000, r["used_milli"] / 1000, r["percent"]]
        for r in await budgets.unit_budget(unit_id, month)
    ]
    return await table_workbook("单位月报", ("种类", "预算", "已用", "已用（%）"), rows)


async def province_statistics(year: int, quarter: int | None, settings) -> bytes:
    return await table_workbook(
        "公共机构能源资源消费统计表", ("指标", "数值"), [["年份", year], ["季度", quarter or "全年"]]
    )
