"""Canteen reports as Excel workbooks (openpyxl), built off the event loop."""

from __future__ import annotations

import asyncio
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.canteen.service import booking
from backend.canteen.service import canteens as service
from backend.core.money import yuan
from backend.core.permissions import Scope

PERIOD_NAMES = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}


def rate_text(row: dict) -> str:
    """A no-show rate as a person reads it; none where nobody booked."""
    return f"{row['no_show_rate'] * 100:.1f}%" if row["booked"] else "—"


def _attendance_sheet(book: Workbook, day: date, rows: list[dict]) -> None:
    sheet = book.create_sheet("报餐就餐")
    sheet.append([f"报餐与就餐 {day.isoformat()}"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["食堂", "餐次", "报餐人数", "已就餐", "未就餐", "未就餐率"])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row["canteen_name"], row["name"], row["booked"], row["eaten"], row["no_shows"], rate_text(row)])
    for column, width in zip("ABCDEF", (16, 10, 10, 10, 10, 10), strict=True):
        sheet.column_dimensions[column].width = width


def _build_daily(day: date, lines: list[dict], attendance: list[dict]) -> bytes:
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
        sheet.append(
            [
                line["canteen_name"],
                line["terminal"],
                PERIOD_NAMES.get(line["period"], line["period"]),
                line["count"],
                yuan(line["amount_fen"]),
                yuan(line["subsidy_fen"]),
                yuan(line["cash_fen"]),
            ]
        )
        for i, field in enumerate(("count", "amount_fen", "subsidy_fen", "cash_fen")):
            totals[i] += line[field]
    sheet.append(["合计", "", "", totals[0], yuan(totals[1]), yuan(totals[2]), yuan(totals[3])])
    for column, width in zip("ABCDEFG", (16, 20, 8, 8, 12, 12, 12), strict=True):
        sheet.column_dimensions[column].width = width
    _attendance_sheet(book, day, attendance)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def daily_workbook(day: date, *, scope: Scope) -> bytes:
    """The day's totals per canteen, terminal and period, with a total line; and on a second
    sheet, per canteen and period, who booked, who ate and the no-show rate."""
    lines = await service.daily_totals(day, scope=scope)
    attendance = await booking.attendance(day, day, scope=scope)
    return await asyncio.to_thread(_build_daily, day, lines, attendance)
