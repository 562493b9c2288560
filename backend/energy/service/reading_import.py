"""STAND-IN (helper readings writes the real file): readings imported from a workbook."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from backend.core.audit import Actor
from backend.energy.errors import EnergyError

HEADER = ("表号", "抄表时间", "读数")


async def import_readings(actor: Actor, filename: str, content: bytes, dry_run: bool) -> dict:
    try:
        rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    except Exception:
        raise EnergyError.IMPORT_INVALID.error(problem="不是有效的 Excel 文件（.xlsx）") from None
    if not rows or tuple(rows[0][:3]) != HEADER:
        raise EnergyError.IMPORT_INVALID.error(problem="第一行应为：表号、抄表时间、读数")
    return {"total": len(rows) - 1, "imported": 0 if dry_run else len(rows) - 1, "problems": [], "dry_run": dry_run}


def import_template() -> bytes:
    book = Workbook()
    book.active.append(HEADER)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
