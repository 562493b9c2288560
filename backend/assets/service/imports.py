"""Importing an existing asset register from Excel (.xlsx, up to 100,000 rows), all or nothing.

The header row names the columns (any order): 资产名称, 分类编码, 规格型号, 单位编码, 房间 (the
room's full name "A座 3楼 301" or its place id), 使用人工号, 原值（元）, 购置日期, 使用年限（月）,
状态, 备注. Every bad cell is reported with its line as Excel shows it (the header is line 1)
and its column, and then nothing is written. A good file's cards get their numbers from the
database's sequence, as cards saved one by one do: on PostgreSQL the ids for the whole file are
taken from the table's sequence in one statement and the rows inserted in batches; on SQLite
(which has no sequence and serialises writers) the rows are inserted, then numbered in one
UPDATE. Each card's history starts with its registration; the audit log keeps one entry for the
import (the file, how many, the first and last number)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import Asset, AssetCategory, AssetMove, AssetStatus, MoveReason
from backend.assets.service.cards import EARLIEST_PURCHASE, EDITABLE_STATUSES, MOST_LIFE_MONTHS, MOST_VALUE_FEN
from backend.assets.service.qr import asset_number
from backend.core.audit import Actor, record
from backend.core.permissions import Scope
from backend.core.spreadsheet import table_workbook
from backend.core.timeutil import now, today
from backend.core.workbook_import import UNREADABLE, ImportFileError, Problem, sheet_rows
from backend.places import service as places

MAX_ROWS = 100_000
MAX_BYTES = 40 * 1024 * 1024
MAX_UNPACKED_BYTES = 400 * 1024 * 1024  # an .xlsx is a zip: refuse one that unpacks into a bomb
MAX_PROBLEMS = 500  # reported in full up to this many; the count says how many there are
_BATCH = 2000

COLUMNS = {
    "name": "资产名称",
    "category": "分类编码",
    "spec": "规格型号",
    "unit": "单位编码",
    "room": "房间",
    "custodian": "使用人工号",
    "value": "原值（元）",
    "bought": "购置日期",
    "life": "使用年限（月）",
    "status": "状态",
    "note": "备注",
}
REQUIRED = ("name", "category", "unit", "value", "bought")


@dataclass
class Lookups:
    """What the rows are checked against, read from the database before the file is parsed."""

    categories: dict[str, tuple[int, int]]  # active class code -> (id, default life)
    units: dict[str, int | str]  # unit code -> id, or why it cannot be used
    rooms_by_name: dict[str, int | str]  # full name -> room id, or why it is no room
    rooms_by_id: dict[int, int | str]
    custodians: dict[str, int]  # employee number of an active person -> id
    today: date


@dataclass
class Parsed:
    assets: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


async def template_workbook() -> bytes:
    """An empty register to fill in, with one example row under the header."""
    example = ["台式计算机", "A020101", "联想 M720", "FGW-BGS", "A座 3楼 301", "D0001", "6000.00", "2024-03-10", 72]
    return await table_workbook("资产导入", list(COLUMNS.values()), [[*example, "在用", ""]])


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _value_fen(text: str) -> int | None:
    try:
        amount = Decimal(text.replace(",", "").replace("¥", ""))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def parse(content: bytes, lookups: Lookups) -> Parsed:
    """Read and check every row of the file against `lookups`."""
    rows = sheet_rows(content, MAX_BYTES, MAX_UNPACKED_BYTES)
    header = [_text(v) for v in next(rows, ())]
    positions = {name: header.index(title) for name, title in COLUMNS.items() if title in header}
    missing = [COLUMNS[name] for name in REQUIRED if name not in positions]
    if missing:
        raise ImportFileError(f"表头缺少列：{'、'.join(missing)}（第 1 行应为列名）")
    parsed = Parsed()
    statuses = {s.label: s for s in EDITABLE_STATUSES}
    count = 0
    for line, cells in enumerate(rows, start=2):
        raw = {name: (cells[i] if i < len(cells) else None) for name, i in positions.items()}
        values = {name: _text(v) for name, v in raw.items()}
        if not any(values.values()):
            continue
        count += 1
        if count > MAX_ROWS:
            raise ImportFileError(f"一次最多导入 {MAX_ROWS} 行")
        before = len(parsed.problems)

        def bad(name: str, message: str) -> None:
            parsed.problems.append(Problem(line, COLUMNS[name], message))  # noqa: B023 (this row's)

        for name in REQUIRED:
            if not values[name]:
                bad(name, "不能为空")
        name, spec, note = values["name"], values.get("spec", ""), values.get("note", "")
        if len(name) > 100:
            bad("name", "最长 100 个字")
        if len(spec) > 100:
            bad("spec", "最长 100 个字")
        if len(note) > 500:
            bad("note", "最长 500 个字")
        category = lookups.categories.get(values["category"].upper())
        if values["category"] and category is None:
            bad("category", f"分类编码 {values['category']} 不存在或已停用")
        unit = lookups.units.get(values["unit"])
        if values["unit"] and not isinstance(unit, int):
            bad("unit", unit or f"单位编码 {values['unit']} 不存在")
        room: int | str | None = None
        if room_text := values.get("room", ""):
            room = lookups.rooms_by_id.get(int(room_text)) if room_text.isdigit() else None
            room = room or lookups.rooms_by_name.get(" ".join(room_text.split()))
            if not isinstance(room, int):
                bad("room", room or f"房间 {room_text} 不存在")
        custodian = None
        if employee_no := values.get("custodian", ""):
            custodian = lookups.custodians.get(employee_no)
            if custodian is None:
                bad("custodian", f"工号 {employee_no} 不存在或已离职")
        value_fen = _value_fen(values["value"]) if values["value"] else None
        if values["value"] and (value_fen is None or not 0 <= value_fen <= MOST_VALUE_FEN):
            bad("value", "应为不小于 0 的金额，最多两位小数")
        elif value_fen == 0 and not note:
            bad("value", "原值为 0 的资产（受捐赠等）须在备注中说明来源")
        bought = _day(raw["bought"]) if values["bought"] else None
        if values["bought"] and bought is None:
            bad("bought", "应为日期，如 2024-03-10")
        elif bought is not None and not EARLIEST_PURCHASE <= bought <= lookups.today:
            bad("bought", "不能晚于今天，也不能早于 1950 年")
        life: int | None = None
        if life_text := values.get("life", ""):
            life = int(life_text) if life_text.isdigit() else -1
            if not 0 <= life <= MOST_LIFE_MONTHS:
                bad("life", f"应为 0 至 {MOST_LIFE_MONTHS} 的整数（月）")
        status = AssetStatus.IN_USE
        if status_text := values.get("status", ""):
            status = statuses.get(status_text)
            if status is None:
                bad("status", "应为 在用、闲置 或 维修")
        if len(parsed.problems) > before or category is None:
            continue
        parsed.assets.append(
            {
                "category_id": category[0],
                "name": name,
                "spec": spec,
                "unit_id": unit,
                "place_id": room,
                "custodian_id": custodian,
                "original_value_fen": value_fen,
                "purchase_date": bought,
                "useful_life_months": category[1] if life is None else life,
                "status": status,
                "note": note,
            }
        )
    if not count:
        raise ImportFileError("文件中没有资产")
    return parsed


async def _lookups(scope: Scope) -> Lookups:
    categories = {
        code: (category_id, life)
        for category_id, code, life in await AssetCategory.filter(is_active=True).values_list(
            "id", "code", "useful_life_months"
        )
    }
    units: dict[str, int | str] = {}
    for unit in await people.list_units(Scope.EVERYTHING):
        if not scope.reaches_unit(unit["path"]):
            units[unit["code"]] = f"单位 {unit['name']} 不在您的管理范围内"
        elif not unit["is_enabled"]:
            units[unit["code"]] = f"单位 {unit['name']} 已停用"
        else:
            units[unit["code"]] = unit["id"]
    rooms_by_name: dict[str, int | str] = {}
    rooms_by_id: dict[int, int | str] = {}
    same_name: dict[str, int] = {}
    for place in await places.tree():
        found = place["id"] if place["kind"] == "room" else f"{place['full_name']} 不是房间"
        name = " ".join(place["full_name"].split())
        same_name[name] = same_name.get(name, 0) + 1
        # Two places of one full name cannot be told apart by it: the row must give the id.
        rooms_by_name[name] = found if same_name[name] == 1 else f"{name} 有 {same_name[name]} 处同名，请填写房间编号"
        rooms_by_id[place["id"]] = found
    roster = await people.people_query(Scope.EVERYTHING)
    custodians = dict(await roster.values_list("employee_no", "id"))
    return Lookups(categories, units, rooms_by_name, rooms_by_id, custodians, today())


async def import_assets(actor: Actor, scope: Scope, filename: str, content: bytes, *, dry_run: bool) -> dict:
    """Check an asset register file and, unless `dry_run`, register every card in it, all or
    nothing, in units the scope reaches. A file with any bad cell changes nothing and is answered
    (assets.import_invalid) with the problems by line and column."""
    lookups = await _lookups(scope)
    try:
        # 100,000 rows take seconds to read and check: keep that off the event loop.
        parsed = await asyncio.to_thread(parse, content, lookups)
    except ImportFileError as exc:
        raise AssetsError.IMPORT_UNREADABLE.error(reason=str(exc)) from exc
    except UNREADABLE as exc:
        raise AssetsError.IMPORT_UNREADABLE.error(reason="文件已损坏或不是 Excel 文件") from exc
    if parsed.problems:
        raise AssetsError.IMPORT_INVALID.error(
            details={"problems": [p.as_dict() for p in parsed.problems[:MAX_PROBLEMS]]},
            count=len(parsed.problems),
        )
    report = {"total": len(parsed.assets), "applied": not dry_run, "first_no": "", "last_no": ""}
    if dry_run:
        return report
    at = now()
    async with in_transaction() as conn:
        await _refuse_if_changed(conn, scope, parsed.assets)
        ids = await _insert(conn, parsed.assets)
        await AssetMove.bulk_create(
            [
                AssetMove(
                    asset_id=asset_id,
                    reason=MoveReason.REGISTERED,
                    to_unit_id=row["unit_id"],
                    to_place_id=row["place_id"],
                    to_custodian_id=row["custodian_id"],
                    to_status=row["status"].value,
                    actor=actor.name,
                    at=at,
                )
                for asset_id, row in zip(ids, parsed.assets, strict=True)
            ],
            batch_size=_BATCH,
            using_db=conn,
        )
        report |= {"first_no": asset_number(ids[0]), "last_no": asset_number(ids[-1])}
        await record(conn, actor, "assets.import_assets", "asset_import", filename[:64], after=report)
    return report


async def _refuse_if_changed(conn: Any, scope: Scope, rows: list[dict]) -> None:
    """The file was checked against what the database held before it was read; a class or unit
    disabled, a room given up or a custodian gone since then refuses the whole file
    (assets.import_changed) rather than registering cards against it. Read again inside the
    transaction that writes the cards."""
    category_ids = {row["category_id"] for row in rows}
    unit_ids = {row["unit_id"] for row in rows}
    room_ids = {row["place_id"] for row in rows if row["place_id"] is not None}
    person_ids = {row["custodian_id"] for row in rows if row["custodian_id"] is not None}
    changed = []
    active = await AssetCategory.filter(id__in=category_ids, is_active=True).using_db(conn).count()
    if active != len(category_ids):
        changed.append("资产分类")
    units = await people.units_by_id(unit_ids)
    if any(u is None or not u.is_enabled or not scope.reaches_unit(u.path) for u in map(units.get, unit_ids)):
        changed.append("使用单位")
    if room_ids - {p["id"] for p in await places.tree() if p["kind"] == "room"}:
        changed.append("房间")
    if person_ids - {p.id for p in await people.people_summaries(person_ids) if p.is_active}:
        changed.append("使用人")
    if changed:
        raise AssetsError.IMPORT_CHANGED.error(what="、".join(changed))


async def _insert(conn: Any, rows: list[dict]) -> list[int]:
    """Insert the cards numbered from the table's sequence; their ids in file order."""
    if conn.capabilities.dialect == "postgres":
        table = Asset._meta.db_table
        _, reserved = await conn.execute_query(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id FROM generate_series(1, $1)",
            [len(rows)],
        )
        ids = sorted(r["id"] for r in reserved)
        await Asset.bulk_create(
            [Asset(id=i, asset_no=asset_number(i), **row) for i, row in zip(ids, rows, strict=True)],
            batch_size=_BATCH,
            using_db=conn,
        )
        return ids
    # SQLite: one writer at a time, so the rows inserted now are the ones above the highest id.
    highest = (await Asset.all().using_db(conn).order_by("-id").limit(1).values_list("id", flat=True)) or [0]
    await Asset.bulk_create([Asset(**row) for row in rows], batch_size=_BATCH, using_db=conn)
    table = Asset._meta.db_table
    await conn.execute_query(
        f"UPDATE {table} SET asset_no = printf('ZC%08d', id) WHERE asset_no IS NULL AND id > ?", [highest[0]]
    )
    return list(await Asset.filter(id__gt=highest[0]).using_db(conn).order_by("id").values_list("id", flat=True))
