"""Canteen reports as Excel workbooks (openpyxl), built off the event loop."""

from __future__ import annotations

import asyncio
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.canteen import service
from backend.canteen.scope import CanteenScope

PERIOD_NAMES = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}


def _yuan(fen: int) -> float:
    return round(fen / 100, 2)


def _build_daily(day: date, lines: list[dict]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "日报"
    sheet.append([f"食堂消费日报 {day.isoformat()}"])
    sheet["A1"].font = Font(bold=True, size=14)
    header = ["食堂", "终端", "餐次", "笔数", "金额（元）", "餐补（元）", "现金（元）"]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    totals = [0, 0, 0, 0]
    for line in lines:
        sheet.append([
            line["canteen_name"], line["terminal"], PERIOD_NAMES.get(line["period"], line["period"]), line["count"],
            _yuan(line["amount_fen"]), _yuan(line["subsidy_fen"]), _yuan(line["cash_fen"]),
        ])
        for i, field in enumerate(("count", "amount_fen", "subsidy_fen", "cash_fen")):
            totals[i] += line[field]
    sheet.append(["合计", "", "", totals[0], _yuan(totals[1]), _yuan(totals[2]), _yuan(totals[3])])
    for column, width in zip("ABCDEFG", (16, 20, 8, 8, 12, 12, 12)):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def daily_workbook(day: date, *, scope: CanteenScope = None) -> bytes:
    """The day's totals per canteen, terminal and period, with a total line."""
    return await asyncio.to_thread(_build_daily, day, await service.daily_totals(day, scope=scope))
