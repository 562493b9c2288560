"""Tables written as .xlsx workbooks (openpyxl), built off the event loop, all looking alike:
an optional title line, a bold header row frozen in place, columns wide enough for what they
hold (a Chinese character counts twice), and every amount in yuan (a `Decimal`, see
`backend.core.money.yuan`) formatted as ¥#,##0.00, so no caller has to remember to."""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = '"¥"#,##0.00'
# Widths are measured over the first rows only: a 50,000-row export is not read twice.
_MEASURED_ROWS = 200
_MIN_WIDTH, _MAX_WIDTH = 8, 48
# Excel refuses these in a sheet's name; a unit's name may carry one.
_FORBIDDEN_IN_TITLE = re.compile(r"[\\/*?:\[\]]")


@dataclass(frozen=True)
class Sheet:
    """One sheet: `title` names its tab (Excel allows 31 characters), `caption` is a bold line
    above the header, `footer` a bold last row (a total)."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""
    footer: Sequence[Any] | None = None


def display_width(value: Any) -> int:
    """How many columns of a monospaced grid `value` takes: CJK characters take two."""
    text = f"{value:,.2f}  " if isinstance(value, Decimal) else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _widths(sheet: Sheet) -> list[int]:
    widths = [display_width(h) + 2 for h in sheet.header]
    for row in [*sheet.rows[:_MEASURED_ROWS], *([sheet.footer] if sheet.footer else [])]:
        for i, value in enumerate(row[: len(widths)]):
            if value is not None:
                widths[i] = max(widths[i], display_width(value) + 2)
    return [min(_MAX_WIDTH, max(_MIN_WIDTH, w)) for w in widths]


def _cell(sheet, value: Any, bold: bool = False) -> Any:
    if not bold and not isinstance(value, Decimal):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    if bold:
        cell.font = Font(bold=True)
    return cell


def _write(book: Workbook, spec: Sheet) -> None:
    sheet = book.create_sheet(_FORBIDDEN_IN_TITLE.sub("_", spec.title)[:31] or "Sheet")
    for i, width in enumerate(_widths(spec)):
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    header_row = 2 if spec.caption else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    if spec.caption:
        title = WriteOnlyCell(sheet, value=spec.caption)
        title.font = Font(bold=True, size=13)
        sheet.append([title])
    sheet.append([_cell(sheet, h, bold=True) for h in spec.header])
    for row in spec.rows:
        sheet.append([_cell(sheet, v) for v in row])
    if spec.footer:
        sheet.append([_cell(sheet, v, bold=True) for v in spec.footer])


def _build(sheets: Sequence[Sheet]) -> bytes:
    # write_only keeps memory flat for a 50,000-row export.
    book = Workbook(write_only=True)
    for spec in sheets:
        _write(book, spec)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def workbook(sheets: Sequence[Sheet]) -> bytes:
    """An .xlsx file of `sheets`, in order."""
    return await asyncio.to_thread(_build, sheets)


async def table_workbook(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """An .xlsx file of one table."""
    return await workbook([Sheet(title, header, rows)])
