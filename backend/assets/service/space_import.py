"""Excel import of an existing office-space register (办公用房登记表): one row per room, or one
row per occupant of a room (the room's columns repeated). Missing buildings, floors and rooms are
created; each room's areas, use and unit are set, and its occupants become those of the file.

A person works in one office room at most: the file may not put them in two, nor in one while
the register has them in an office the file does not list (the rooms it lists take the file's
occupants, so a move between two of them is fine).

Every bad row is reported with its line and column, and nothing is written unless every row is
good (all or nothing, in one transaction). A dry run checks the file without writing."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date

from openpyxl import Workbook, load_workbook
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.places import service as places

COLUMNS = ("楼宇", "楼层", "房间", "使用面积", "建筑面积", "用途", "单位编码", "使用人工号", "职级")
REQUIRED = ("楼宇", "楼层", "房间", "使用面积", "用途", "单位编码")
MAX_ROWS = 20_000
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
USES = {use.label: use for use in places.RoomUse}
GRADES = {grade.label: grade for grade in places.OfficeGrade}


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str


@dataclass
class RoomRow:
    line: int
    building: str
    floor: str
    room: str
    use_area: int
    building_area: int | None
    use: places.RoomUse
    unit_code: str
    occupants: list[tuple[str, places.OfficeGrade]] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    rooms: int
    rooms_created: int
    occupants: int
    problems: list[RowProblem]
    written: bool


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _read(content: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise AssetsError.IMPORT_FILE.error()
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except AppError:
        raise
    except Exception:
        # openpyxl and zipfile raise many kinds for a file that is not a workbook.
        raise AssetsError.IMPORT_FILE.error() from None
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(max_col=len(COLUMNS) + 5, values_only=True):
            rows.append([_text(v) for v in row])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        book.close()


def template() -> bytes:
    """An empty register with its header and one example row."""
    book = Workbook()
    sheet = book.active
    sheet.title = "办公用房登记"
    sheet.append(list(COLUMNS))
    sheet.append(["市民中心A座", "3楼", "301", "18.00", "23.40", "办公室", "FGW-BGS", "D0001", "局级以下"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _parse(rows: list[list[str]]) -> tuple[list[RoomRow], list[RowProblem], dict[str, int]]:
    """The rooms the file describes, its problems, and {employee number: person id} of the
    active people it names."""
    problems: list[RowProblem] = []
    if not rows:
        return [], [RowProblem(1, "", "文件是空的")], {}
    header = rows[0]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [RowProblem(1, c, "缺少此列") for c in missing], {}
    if len(rows) > MAX_ROWS + 1:
        return [], [RowProblem(MAX_ROWS + 2, "", f"一次最多导入 {MAX_ROWS} 行")], {}
    at = {c: header.index(c) for c in COLUMNS}
    units = {}
    employees: set[str] = set()
    by_room: dict[tuple[str, str, str], RoomRow] = {}
    office_line: dict[str, int] = {}  # employee number -> the line that puts them in an office
    for line, row in enumerate(rows[1:], start=2):
        cell = {c: row[at[c]] if at[c] < len(row) else "" for c in COLUMNS}
        if not any(cell.values()):
            continue
        bad = [RowProblem(line, c, "必填") for c in REQUIRED if not cell[c]]
        for column in ("楼宇", "楼层", "房间"):
            if len(cell[column]) > 100:
                bad.append(RowProblem(line, column, "名称最多 100 个字"))
        use_area = building_area = None
        if cell["使用面积"]:
            try:
                use_area = places.parse_area(cell["使用面积"])
            except AppError:
                bad.append(RowProblem(line, "使用面积", "须为大于 0 的数，单位平方米，最多两位小数"))
        if cell["建筑面积"]:
            try:
                building_area = places.parse_area(cell["建筑面积"])
            except AppError:
                bad.append(RowProblem(line, "建筑面积", "须为大于 0 的数，单位平方米，最多两位小数"))
        if use_area and building_area and building_area < use_area:
            bad.append(RowProblem(line, "建筑面积", "不能小于使用面积"))
        use = USES.get(cell["用途"])
        if cell["用途"] and use is None:
            bad.append(RowProblem(line, "用途", f"只能是{'、'.join(USES)}之一"))
        if cell["单位编码"] and cell["单位编码"] not in units:
            units[cell["单位编码"]] = await people.unit_by_code(cell["单位编码"])
        unit = units.get(cell["单位编码"])
        if cell["单位编码"] and (unit is None or not unit.is_enabled):
            bad.append(RowProblem(line, "单位编码", "单位不存在或已停用"))
        grade = GRADES.get(cell["职级"])
        if cell["使用人工号"]:
            employees.add(cell["使用人工号"])
            if grade is None:
                bad.append(RowProblem(line, "职级", f"有使用人时必填，只能是{'、'.join(GRADES)}之一"))
        elif cell["职级"]:
            bad.append(RowProblem(line, "使用人工号", "填写了职级，但没有使用人工号"))
        if bad:
            problems += bad
            continue
        assert use_area is not None and use is not None
        key = (cell["楼宇"], cell["楼层"], cell["房间"])
        room = by_room.get(key)
        if room is None:
            room = by_room[key] = RoomRow(
                line, *key, use_area=use_area, building_area=building_area, use=use, unit_code=cell["单位编码"]
            )
        elif (room.use_area, room.building_area, room.use, room.unit_code) != (
            use_area,
            building_area,
            use,
            cell["单位编码"],
        ):
            problems.append(RowProblem(line, "房间", f"与第 {room.line} 行是同一房间，但面积、用途或单位不同"))
            continue
        if cell["使用人工号"]:
            assert grade is not None
            if any(no == cell["使用人工号"] for no, _ in room.occupants):
                problems.append(RowProblem(line, "使用人工号", "同一房间重复登记此人"))
                continue
            if use is places.RoomUse.OFFICE:
                if cell["使用人工号"] in office_line:
                    first = office_line[cell["使用人工号"]]
                    problems.append(
                        RowProblem(line, "使用人工号", f"此人已在第 {first} 行登记了办公室，每人只能占用一间办公室")
                    )
                    continue
                office_line[cell["使用人工号"]] = line
            room.occupants.append((cell["使用人工号"], grade))
    person_of: dict[str, int] = {}
    if employees:
        ids = {no: await people.person_ids_with_employee_no(no) for no in sorted(employees)}
        summaries = await people.people_summaries(i for found in ids.values() for i in found)
        active = {p.id for p in summaries if p.is_active}
        person_of = {no: i for no, found in ids.items() for i in found if i in active}
        for line, row in enumerate(rows[1:], start=2):
            number = row[at["使用人工号"]] if at["使用人工号"] < len(row) else ""
            if number and number not in person_of:
                problems.append(RowProblem(line, "使用人工号", f"工号 {number} 不存在或已离职"))
        problems += await _offices_elsewhere(office_line, person_of, set(by_room))
    order = {c: n for n, c in enumerate(COLUMNS)}
    return list(by_room.values()), sorted(problems, key=lambda p: (p.line, order.get(p.column, 0))), person_of


async def _offices_elsewhere(
    office_line: dict[str, int], person_of: dict[str, int], listed: set[tuple[str, str, str]]
) -> list[RowProblem]:
    """A problem for each person the file puts in an office while the register has them in an
    office room the file does not list (whose occupants it therefore leaves as they are)."""
    wanted = {person_of[no]: (no, line) for no, line in office_line.items() if no in person_of}
    problems = []
    for person_id, rooms in (await places.office_rooms_of(wanted)).items():
        elsewhere = [r for r in rooms if r["names"] not in listed]
        if elsewhere:
            _, line = wanted[person_id]
            message = f"此人已登记在办公室 {elsewhere[0]['full_name']}，每人只能占用一间办公室，请先从该房间移除"
            problems.append(RowProblem(line, "使用人工号", message))
    return problems


async def import_register(actor: Actor, content: bytes, today: date, dry_run: bool = False) -> ImportResult:
    """Check the file and, unless `dry_run` or a row is bad, write it in one transaction."""
    rooms, problems, person_of = await _parse(_read(content))
    occupants = sum(len(r.occupants) for r in rooms)
    if problems or dry_run:
        return ImportResult(len(rooms), 0, occupants, problems, False)
    created = 0
    async with in_transaction() as conn:
        # First everyone leaving a room leaves it, then the rooms that stop being offices change
        # use before those that become offices, then people are added: a person moved between
        # two offices of the file is never in both, which the one-office rule would refuse.
        placed = []
        for room in rooms:
            place_id, made = await places.ensure_room(conn, actor, room.building, room.floor, room.room)
            created += made
            wanted = [(person_of[no], grade) for no, grade in room.occupants]
            await places.remove_occupants_except(conn, actor, place_id, (person_id for person_id, _ in wanted))
            placed.append((room, place_id, wanted))
        for room, place_id, _ in sorted(placed, key=lambda p: p[0].use is places.RoomUse.OFFICE):
            unit = await people.unit_by_code(room.unit_code)
            assert unit is not None
            await places.set_room_facts(conn, actor, place_id, room.use_area, room.building_area, room.use, unit.id)
        for _, place_id, wanted in placed:
            await places.replace_occupants(conn, actor, place_id, wanted, today)
        await record(
            conn,
            actor,
            "assets.import_space",
            "space_import",
            0,
            None,
            {"rows": len(rooms), "rooms_created": created},
        )
    return ImportResult(len(rooms), created, occupants, [], True)
