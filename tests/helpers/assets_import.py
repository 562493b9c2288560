"""Asset register files for the import's tests: a workbook made on the spot with the importer's
header, and three good rows on the assets_world fixture (a printer in 301, an idle cabinet in
302 named with doubled spaces, a donated shelf of value 0 with its note)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook

from backend.assets.service.imports import COLUMNS

HEADER = list(COLUMNS.values())
GOOD = [
    ["打印机", "A020101", "HP M405", "FGW-BGS", "A座 3楼 301", "D0001", "2300.50", "2023-04-01", "", "在用", ""],
    ["文件柜", "a050103", "", "CZJ-BGS", "A座  3楼 302", "", 1200, date(2019, 1, 9), 120, "闲置", ""],
    ["捐赠书架", "A050103", "", "CZJ-BGS", "", "", "0", "2024-02-02", "", "", "企业捐赠"],
]


def register_xlsx(rows: list[list], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
