"""Reading and checking a staff roster file (.xlsx or .csv) before anything is written.

The file has a header row with these columns (any order; 身份证号 may be absent):
    工号, 姓名, 单位编码, 人员类别, 手机号, 身份证号
Every bad row is reported with its line number as a person sees it in Excel (header = line 1).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree import ElementTree

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from backend.accounts.models import StaffCategory
from backend.core.spreadsheet import table_workbook

MAX_ROWS = 20_000
MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an .xlsx is a zip: refuse one that unpacks into a bomb
MAX_COLUMNS = 50

# What a damaged spreadsheet or CSV raises inside the readers; each becomes one clear refusal.
_UNREADABLE = (
    InvalidFileException,
    zipfile.BadZipFile,
    zlib.error,
    ElementTree.ParseError,
    csv.Error,
    KeyError,
    IndexError,
    ValueError,
    OSError,
    EOFError,
)

COLUMNS = {
    "employee_no": "工号",
    "name": "姓名",
    "unit_code": "单位编码",
    "staff_category": "人员类别",
    "phone": "手机号",
    "id_card": "身份证号",
}
REQUIRED = ("employee_no", "name", "unit_code", "staff_category")


async def template_workbook() -> bytes:
    """An empty roster to fill in: the header row the importer reads, in its order."""
    return await table_workbook("人员名册", list(COLUMNS.values()), [])


_EMPLOYEE_NO = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_ID_CARD = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


class RosterFileError(Exception):
    """The file as a whole cannot be read (not a spreadsheet, no header, too large)."""


@dataclass(frozen=True)
class RosterRow:
    line: int
    employee_no: str
    name: str
    unit_code: str
    staff_category: StaffCategory
    phone: str | None
    id_card: str | None


@dataclass(frozen=True)
class Roster:
    rows: list[RosterRow]
    problems: list[RowProblem]
    has_id_card: bool  # a file without the column leaves the ID-card numbers on record as they are


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}

    def sort_key(self) -> tuple[int, int]:
        """By line, then by column as the file lays them out: how a person reads them."""
        titles = list(COLUMNS.values())
        return self.line, titles.index(self.column) if self.column in titles else len(titles)


def employee_no_problem(value: str) -> str | None:
    """Why `value` cannot be an employee number (None: it can); the roster and the person form
    check alike."""
    return None if _EMPLOYEE_NO.match(value) else "只能包含字母、数字、下划线和短横线，最长 32 位"


def phone_problem(value: str) -> str | None:
    return None if _PHONE.match(value) else "不是有效的 11 位手机号"


def id_card_problem(value: str) -> str | None:
    return None if id_card_is_valid(value) else "身份证号格式或校验位不正确"


def id_card_is_valid(number: str) -> bool:
    if not _ID_CARD.match(number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores a typed-in phone or employee number as a number
    return str(value).strip()


def _read_xlsx(content: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise RosterFileError("Excel 文件解压后过大")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            rows = []
            for row in workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True):
                rows.append([_cell_text(v) for v in row])
                if len(rows) > MAX_ROWS + 1:
                    break
            return rows
        finally:
            workbook.close()
    except _UNREADABLE as exc:
        raise RosterFileError("不是有效的 Excel (.xlsx) 文件，或文件已损坏") from exc


def _read_csv(content: bytes) -> list[list[str]]:
    # Excel on a Chinese Windows saves CSV as GBK; files from elsewhere are UTF-8 (maybe with BOM).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError("CSV 文件编码无法识别，请另存为 UTF-8")
    try:
        rows = []
        for row in csv.reader(io.StringIO(text)):
            rows.append([c.strip() for c in row[:MAX_COLUMNS]])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    except csv.Error as exc:
        raise RosterFileError("CSV 文件内容有误（单元格过长或引号不配对）") from exc


def read_table(filename: str, content: bytes) -> list[list[str]]:
    if len(content) > MAX_BYTES:
        raise RosterFileError(f"文件超过 {MAX_BYTES // 1024 // 1024} MB")
    if not content:
        raise RosterFileError("文件为空")
    if content[:2] == b"PK":
        return _read_xlsx(content)
    if filename.lower().endswith((".xlsx", ".xls")):
        raise RosterFileError("不是有效的 Excel (.xlsx) 文件，旧版 .xls 请另存为 .xlsx")
    return _read_csv(content)


def _header_map(header: list[str]) -> dict[str, int]:
    positions = {}
    for field_name, title in COLUMNS.items():
        if title in header:
            positions[field_name] = header.index(title)
    missing = [COLUMNS[f] for f in REQUIRED + ("phone",) if f not in positions]
    if missing:
        raise RosterFileError(f"表头缺少列：{'、'.join(missing)}（第 1 行应为列名）")
    return positions


def parse_roster(
    filename: str,
    content: bytes,
    *,
    unit_allowed: Callable[[str], str | None],
) -> Roster:
    """Parse and check every row. `unit_allowed(code)` returns a problem message or None."""
    table = read_table(filename, content)
    if not table:
        raise RosterFileError("文件中没有内容")
    positions = _header_map(table[0])
    body = table[1:]
    if len(body) > MAX_ROWS:
        raise RosterFileError(f"一次最多导入 {MAX_ROWS} 行")

    rows: list[RosterRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], int] = {}

    for offset, cells in enumerate(body):
        line = offset + 2
        values = {f: (cells[i] if i < len(cells) else "") for f, i in positions.items()}
        if not any(values.values()):
            continue
        row_problems: list[RowProblem] = []

        def bad(field_name: str, message: str) -> None:
            row_problems.append(RowProblem(line, COLUMNS[field_name], message))  # noqa: B023 (called in this iteration only)

        for field_name in REQUIRED:
            if not values[field_name]:
                bad(field_name, "不能为空")
        employee_no = values["employee_no"]
        if employee_no and (message := employee_no_problem(employee_no)):
            bad("employee_no", message)
        if len(values["name"]) > 50:
            bad("name", "最长 50 个字")
        if values["unit_code"] and (message := unit_allowed(values["unit_code"])):
            bad("unit_code", message)
        category = StaffCategory.from_label(values["staff_category"])
        if values["staff_category"] and category is None:
            bad("staff_category", "应为 在编、聘用、外包 或 访客")
        phone = values.get("phone") or None
        if phone and (message := phone_problem(phone)):
            bad("phone", message)
        id_card = (values.get("id_card") or "").upper() or None
        if id_card and (message := id_card_problem(id_card)):
            bad("id_card", message)

        for field_name, value in (("employee_no", employee_no), ("phone", phone), ("id_card", id_card)):
            if not value:
                continue
            if (first := seen.get((field_name, value))) is not None:
                bad(field_name, f"与第 {first} 行重复")
            else:
                seen[(field_name, value)] = line

        if row_problems:
            problems.extend(row_problems)
            continue
        rows.append(RosterRow(line, employee_no, values["name"], values["unit_code"], category, phone, id_card))
    return Roster(rows, problems, "id_card" in positions)
