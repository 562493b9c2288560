"""Importing readings from Excel (.xlsx), all or nothing: meters without communication are read
by hand on paper or in a spreadsheet and the sheet is imported here.

The header row names the columns (any order): 表号 (the meter's code), 抄表时间 (a date-time
cell, or text "2026-01-31 08:00"), 读数 (the register in the kind's unit, up to three decimals).
Every bad cell is reported with its line as Excel shows it (the header is line 1) and its
column, and then nothing is written. A good file's readings are stored in one transaction
(source IMPORT) and every meter it touches is derived at once, from the earliest imported
reading where that lies behind the meter's watermark."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.core.timeutil import BUSINESS_TZ
from backend.core.workbook_import import UNREADABLE, ImportFileError, Problem, sheet_rows
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import Meter, Reading, ReadingSource
from backend.energy.service import readings
from backend.energy.service.derive import moment
from backend.energy.service.readings import DEFAULTS, ReadingIn, checked_moment, value_or_problem

MAX_ROWS = 50_000
MAX_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # an .xlsx is a zip: refuse one that unpacks into a bomb
MAX_PROBLEMS = 500  # listed in full up to this many; the count says how many there are
COLUMNS = {"code": "表号", "at": "抄表时间", "value": "读数"}
_TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S")


@dataclass
class Parsed:
    rows: list[tuple[int, ReadingIn]] = field(default_factory=list)  # (line, reading)
    problems: list[Problem] = field(default_factory=list)


def import_template() -> bytes:
    """The empty workbook to fill in: the header row, columns wide enough to write in."""
    book = Workbook()
    sheet = book.active
    sheet.title = "抄表读数"
    sheet.append(list(COLUMNS.values()))
    for cell, width in zip(sheet[1], (16, 20, 16), strict=True):
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _typed_time(value: Any) -> datetime | None:
    """A time as the sheet holds it (no zone: business time)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=BUSINESS_TZ)
    if isinstance(value, date):
        return None  # a day without the hour cannot be a reading's time
    text = " ".join(_text(value).split())
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=BUSINESS_TZ)
        except ValueError:
            continue
    return None


def parse(content: bytes, meters: dict[str, int], settings: EnergySettings) -> Parsed:
    """Read and check every row of the file; `meters` maps codes to meter ids."""
    rows = sheet_rows(content, MAX_BYTES, MAX_UNPACKED_BYTES)
    header = [_text(v) for v in next(rows, ())]
    positions = {name: header.index(title) for name, title in COLUMNS.items() if title in header}
    missing = [title for name, title in COLUMNS.items() if name not in positions]
    if missing:
        raise ImportFileError(f"表头缺少列：{'、'.join(missing)}（第 1 行应为列名）")
    parsed = Parsed()
    seen: dict[tuple[int, datetime], int] = {}
    count = 0
    for line, cells in enumerate(rows, start=2):
        raw = {name: (cells[i] if i < len(cells) else None) for name, i in positions.items()}
        if not any(_text(v) for v in raw.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行")
        before = len(parsed.problems)

        def bad(name: str, message: str) -> None:
            parsed.problems.append(Problem(line, COLUMNS[name], message))  # noqa: B023 (this row's)

        code = _text(raw["code"])
        meter_id = meters.get(code)
        if not code:
            bad("code", "不能为空")
        elif meter_id is None:
            bad("code", f"表号 {code[:32]} 未登记")
        typed = _typed_time(raw["at"])
        at: datetime | str | None = None
        if typed is None:
            bad("at", "应为日期和时间，如 2026-01-31 08:00")
        else:
            at = checked_moment(typed, settings)
            if isinstance(at, str):
                bad("at", at)
        value = value_or_problem(_text(raw["value"]))
        if isinstance(value, str):
            bad("value", value)
        if len(parsed.problems) > before:
            continue
        assert meter_id is not None and isinstance(at, datetime) and isinstance(value, int)
        first = seen.setdefault((meter_id, at), line)
        if first != line:
            bad("at", f"与第 {first} 行是同一电表的同一时间")
            continue
        parsed.rows.append((line, ReadingIn(meter_id, at, at, value, ReadingSource.IMPORT)))
    if not count:
        raise ImportFileError("文件中没有读数")
    return parsed


async def _already_read(parsed: Parsed) -> list[Problem]:
    """Rows whose meter already has a reading at that moment."""
    by_meter: dict[int, list[tuple[int, ReadingIn]]] = {}
    for line, row in parsed.rows:
        by_meter.setdefault(row.meter_id, []).append((line, row))
    problems = []
    for meter_id, rows in by_meter.items():
        stored = {
            moment(at)
            for at in await Reading.filter(meter_id=meter_id, slot_at__in=[r.slot_at for _, r in rows]).values_list(
                "slot_at", flat=True
            )
        }
        problems += [
            Problem(line, COLUMNS["at"], "该电表在此时间已有读数") for line, row in rows if row.slot_at in stored
        ]
    return sorted(problems, key=lambda p: p.line)


async def import_readings(
    actor: Actor, filename: str, content: bytes, dry_run: bool, *, settings: EnergySettings | None = None
) -> dict:
    """Check a readings file and, unless `dry_run`, store every reading in it, all or nothing,
    and derive the meters it touches. A file with any bad cell changes nothing and is answered
    (energy.import_invalid) with the problems by line and column."""
    settings = settings or DEFAULTS
    meters = dict(await Meter.all().values_list("code", "id"))
    try:
        # Tens of thousands of rows take seconds to read and check: keep that off the event loop.
        parsed = await asyncio.to_thread(parse, content, meters, settings)
    except ImportFileError as exc:
        raise EnergyError.IMPORT_INVALID.error(problem=str(exc)) from exc
    except UNREADABLE as exc:
        raise EnergyError.IMPORT_INVALID.error(problem="文件已损坏或不是 Excel 文件") from exc
    problems = sorted(parsed.problems + await _already_read(parsed), key=lambda p: p.line)
    if problems:
        raise EnergyError.IMPORT_INVALID.error(
            details={"problems": [p.as_dict() for p in problems[:MAX_PROBLEMS]]},
            problem=f"{len(problems)} 处需要修改",
        )
    rows = [row for _, row in parsed.rows]
    times = [row.slot_at for row in rows]
    report = {
        "total": len(rows),
        "meters": len({row.meter_id for row in rows}),
        "earliest": min(times).isoformat(),
        "latest": max(times).isoformat(),
        "applied": not dry_run,
    }
    if dry_run:
        return report
    async with in_transaction() as conn:
        stored = await readings.store(conn, rows, settings, entered_by=actor.admin_id, fold=True)
        if sum(s.count for s in stored.values()) != len(rows):
            # Someone stored a reading of one of these meters at one of these moments meanwhile.
            raise EnergyError.IMPORT_INVALID.error(problem="导入期间该表已写入其他读数，请重新导入")
        await record(conn, actor, "energy.import_readings", "reading_import", filename[:64], after=report)
    return report
