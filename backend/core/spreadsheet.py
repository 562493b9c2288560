"""Tables written as .xlsx workbooks (openpyxl), built off the event loop."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _build(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    # write_only keeps memory flat for a 50,000-row export.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    widths = [max(8, len(h) * 2 + 2) for h in header]
    for row in rows[:200]:
        for i, value in enumerate(row):
            widths[i] = min(40, max(widths[i], len(str(value)) + 2))
    for i, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(i + 1)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_bold(sheet, h) for h in header])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _bold(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


async def table_workbook(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    return await asyncio.to_thread(_build, title, header, rows)
