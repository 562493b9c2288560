"""Stock-taking by room (盘点): a task over a unit's assets, a building's rooms, or a unit's assets
in one building; its checkers go from room to room in the mini-program, scan the room's QR code
and then every label they find there, and submit the room; closing the task fixes the
differences (findings), which the asset office then resolves one by one.

What a task expects is fixed when it is opened (`StocktakeItem`: every asset in scope that is not
disposed of and has a room, in that room), and so are its rooms (those rooms, and every room of
the building when one is named). A task by unit leaves out what is in the 公物仓: the warehouse,
not the unit, keeps it; a task by building counts everything in its rooms, the warehouse's items
included.

Findings, computed from the scans:
- MISSING (盘亏): expected and never scanned in any room of the task;
- MOVED (位置不符): expected, never scanned in its own room but scanned in another;
- UNKNOWN (盘盈): a code naming no asset of this platform (another system's label, or one of our
  numbers no card has), or an asset of ours this task did not expect.
While the task is open they are shown as a preview (an unscanned asset counts as missing once
its room is submitted); closing stores them.

Resolving a finding (by one conditional update, so it is resolved once):
- MISSING: FOUND (it was there after all) or WRITE_OFF: it is marked idle with no room and a note,
  for the unit to ask for its disposal through the disposal flow (the status 待处置 belongs to
  that flow and its approval, so a stock-take never sets it);
- MOVED: RELOCATED (the card takes the room it was found in, through `moves.move`) or FOUND
  (it was put back);
- UNKNOWN: REGISTERED (a card was made for it), RELOCATED (an asset of ours: its card takes the
  room it was found in) or DISMISSED.
A resolution that changes the card (RELOCATED, WRITE_OFF) needs the asset's own unit in the
admin's scope (an UNKNOWN finding may be another unit's asset), and is refused as outdated
(assets.finding_outdated) once the card's unit, room or status has changed since the task was
opened, or a MISSING or MOVED asset is no longer in the room it was expected in: it would undo a
later change. A task over a unit is checked by that unit's people (its subtree) or by asset
officers acting for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import (
    Asset,
    AssetMove,
    AssetStatus,
    FindingKind,
    MoveReason,
    Resolution,
    Stocktake,
    StocktakeChecker,
    StocktakeFinding,
    StocktakeItem,
    StocktakeRoom,
    StocktakeScan,
    StocktakeState,
)
from backend.assets.service import moves, officers, qr
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.core.pagination import Page, paginate
from backend.core.permissions import Scope
from backend.core.spreadsheet import Sheet, workbook
from backend.core.timeutil import BUSINESS_TZ
from backend.places import service as places

MOST_CHECKERS = 20
# StocktakeScan.code holds 200 characters: a longer code is refused rather than cut, since two
# labels cut alike would be taken for one.
LONGEST_CODE = 200
# An asset in one of these states is the 公物仓's or the disposal flow's: a stock-take does not move it.
LOCKED = (AssetStatus.PENDING_DISPOSAL, AssetStatus.DISPOSED, AssetStatus.IN_WAREHOUSE)
ALLOWED = {
    FindingKind.MISSING: (Resolution.FOUND, Resolution.WRITE_OFF),
    FindingKind.MOVED: (Resolution.RELOCATED, Resolution.FOUND),
    FindingKind.UNKNOWN: (Resolution.REGISTERED, Resolution.RELOCATED, Resolution.DISMISSED),
}
_SEPARATORS = re.compile(r"[\s,，、;；]+")


def employee_numbers(text: str) -> list[str]:
    """The employee numbers typed in one field, separated by commas, 顿号 or spaces, in order, once each."""
    return list(dict.fromkeys(n for n in _SEPARATORS.split(text or "") if n))


# ---- opening a task -------------------------------------------------------------------------------


async def _unit_subtree(scope: Scope, unit_id: int) -> list[int]:
    unit = (await people.units_by_id([unit_id])).get(unit_id)
    if unit is None:
        raise AssetsError.STOCKTAKE_UNIT_NOT_FOUND.error()
    scope.require_unit(unit.path)
    return await people.units_within(Scope.units([unit.path])) or []


async def _checkers_of_unit(unit_id: int, subtree: list[int], checkers: dict[str, int]) -> None:
    """A task over a unit is checked by its own people (of the unit or below it) or by asset
    officers acting for it: its checkers see its asset lists. (A task over a building alone is
    opened platform-wide and may enlist anyone active.)"""
    within = set(subtree)
    people_of = {p.id: p for p in await people.people_summaries(checkers.values())}
    outside = [
        employee_no
        for employee_no, person_id in checkers.items()
        if people_of[person_id].unit_id not in within and not await officers.acts_for(person_id, unit_id)
    ]
    if outside:
        raise AssetsError.STOCKTAKE_CHECKER_OUTSIDE.error(numbers="、".join(sorted(outside)))


async def _building_rooms(building_id: int) -> tuple[list[int], list[int]]:
    """(every place within the building, its active rooms)."""
    building = await places.active_place(building_id)
    if building["kind"] != "building":
        raise AssetsError.STOCKTAKE_NOT_BUILDING.error()
    within = set(await places.ids_within(building_id))
    rooms = [p["id"] for p in await places.tree() if p["kind"] == "room" and p["id"] in within]
    return sorted(within), rooms


async def open_task(
    actor: Actor,
    scope: Scope,
    title: str,
    unit_id: int | None,
    building_id: int | None,
    checker_employee_nos: list[str],
    at: datetime,
) -> dict:
    """Open a stock-take over the unit's subtree and/or the building, checked by the people with
    these employee numbers. A task over a building alone spans units: only a platform-wide
    admin opens one."""
    title = (title or "").strip()
    if not 2 <= len(title) <= 100:
        raise AssetsError.STOCKTAKE_TITLE_INVALID.error()
    if unit_id is None and building_id is None:
        raise AssetsError.STOCKTAKE_SCOPE_REQUIRED.error()
    if not 1 <= len(checker_employee_nos) <= MOST_CHECKERS:
        raise AssetsError.STOCKTAKE_CHECKERS_INVALID.error(most=MOST_CHECKERS)
    if unit_id is None:
        scope.require_everything()
    checkers = await people.people_by_employee_no(checker_employee_nos)

    assets = Asset.filter(place_id__isnull=False).exclude(status=AssetStatus.DISPOSED)
    building_rooms: list[int] = []
    if unit_id is not None:
        subtree = await _unit_subtree(scope, unit_id)
        await _checkers_of_unit(unit_id, subtree, checkers)
        assets = assets.filter(unit_id__in=subtree).exclude(status=AssetStatus.IN_WAREHOUSE)
    if building_id is not None:
        within, building_rooms = await _building_rooms(building_id)
        assets = assets.filter(place_id__in=within)
    expected = await assets.order_by("id").values_list("id", "place_id")
    rooms = sorted({place_id for _, place_id in expected} | set(building_rooms))
    if not rooms:
        raise AssetsError.STOCKTAKE_EMPTY.error()

    async with in_transaction() as conn:
        task = await Stocktake.create(
            title=title, unit_id=unit_id, building_id=building_id, created_by=actor.name, created_at=at, using_db=conn
        )
        await StocktakeChecker.bulk_create(
            [StocktakeChecker(stocktake_id=task.id, person_id=person_id) for person_id in checkers.values()],
            using_db=conn,
        )
        await StocktakeRoom.bulk_create(
            [StocktakeRoom(stocktake_id=task.id, place_id=place_id) for place_id in rooms], using_db=conn
        )
        await StocktakeItem.bulk_create(
            [StocktakeItem(stocktake_id=task.id, asset_id=a, place_id=p) for a, p in expected],
            batch_size=1000,
            using_db=conn,
        )
        await record(
            conn,
            actor,
            "assets.open_stocktake",
            "stocktake",
            task.id,
            after={
                "title": title,
                "unit_id": unit_id,
                "building_id": building_id,
                "checkers": "、".join(checkers),
                "rooms": len(rooms),
                "items": len(expected),
            },
        )
    return await detail(scope, task.id)


# ---- reading tasks -------------------------------------------------------------------------------


async def _task_in_scope(scope: Scope, stocktake_id: int, conn: Any = None, lock: bool = False) -> Stocktake:
    query = Stocktake.filter(id=stocktake_id).using_db(conn)
    task = await (query.select_for_update() if lock else query).first()
    if task is None:
        raise AssetsError.STOCKTAKE_NOT_FOUND.error()
    if task.unit_id is None:
        scope.require_everything()
    else:
        unit = (await people.units_by_id([task.unit_id]))[task.unit_id]
        scope.require_unit(unit.path)
    return task


async def _unit_names(unit_ids: set[int]) -> dict[int, str]:
    return {uid: u.name for uid, u in (await people.units_by_id(unit_ids)).items()}


def _task_view(task: Stocktake, names: dict[str, dict[int, str]]) -> dict:
    return {
        "id": task.id,
        "title": task.title,
        "unit_id": task.unit_id,
        "unit_name": names["units"].get(task.unit_id, "") if task.unit_id else "",
        "building_id": task.building_id,
        "building_name": names["places"].get(task.building_id, "") if task.building_id else "",
        "state": task.state.value,
        "state_label": task.state.label,
        "created_by": task.created_by,
        "created_at": task.created_at.isoformat(),
        "closed_at": task.closed_at.isoformat() if task.closed_at else None,
    }


async def _names(tasks: list[Stocktake]) -> dict[str, dict[int, str]]:
    return {
        "units": await _unit_names({t.unit_id for t in tasks if t.unit_id}),
        "places": await places.full_names({t.building_id for t in tasks if t.building_id}),
    }


async def _room_counts(stocktake_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{task id: (rooms, rooms submitted)}."""
    counts: dict[int, list[int]] = {i: [0, 0] for i in stocktake_ids}
    rows = await StocktakeRoom.filter(stocktake_id__in=stocktake_ids).values_list("stocktake_id", "checked_at")
    for stocktake_id, checked_at in rows:
        counts[stocktake_id][0] += 1
        counts[stocktake_id][1] += checked_at is not None
    return {i: (c[0], c[1]) for i, c in counts.items()}


async def list_tasks(scope: Scope, page: int, page_size: int) -> Page:
    """The stock-takes the admin's scope reaches, newest first, with rooms submitted of rooms. A
    task over a building alone is seen platform-wide only."""
    query = Stocktake.all()
    if not scope.is_everything:
        query = query.filter(unit_id__in=await people.units_within(scope) or [])
    listed = await paginate(query, page, page_size, order_by=("-created_at", "-id"))
    names = await _names(listed.items)
    counts = await _room_counts([t.id for t in listed.items])
    items = [{**_task_view(t, names), "rooms": counts[t.id][0], "rooms_checked": counts[t.id][1]} for t in listed.items]
    return Page(items, listed.total, listed.page, listed.page_size)


@dataclass(frozen=True)
class _Scanned:
    place_id: int
    asset_id: int | None
    code: str


def compute_findings(
    expected: dict[int, int], scans: list[_Scanned], checked_rooms: set[int], final: bool
) -> list[dict]:
    """The differences between what a task expects ({asset id: room}) and what was scanned (in
    the order scanned). Before the task is closed (`final` false) an unscanned asset counts as
    missing only once its room has been submitted."""
    found: list[dict] = []
    seen_in: dict[int, list[int]] = {}
    for scan in scans:
        if scan.asset_id is not None and scan.asset_id in expected:
            seen_in.setdefault(scan.asset_id, []).append(scan.place_id)
        else:
            found.append(
                {
                    "kind": FindingKind.UNKNOWN,
                    "asset_id": scan.asset_id,
                    "code": scan.code,
                    "expected_place_id": None,
                    "found_place_id": scan.place_id,
                }
            )
    for asset_id, place_id in expected.items():
        rooms = seen_in.get(asset_id)
        if not rooms and (final or place_id in checked_rooms):
            kind, found_place = FindingKind.MISSING, None
        elif rooms and place_id not in rooms:
            kind, found_place = FindingKind.MOVED, rooms[0]
        else:
            continue
        found.append(
            {
                "kind": kind,
                "asset_id": asset_id,
                "code": "",
                "expected_place_id": place_id,
                "found_place_id": found_place,
            }
        )
    order = {FindingKind.MISSING: 0, FindingKind.MOVED: 1, FindingKind.UNKNOWN: 2}
    return sorted(found, key=lambda f: order[f["kind"]])


async def _state_of(stocktake_id: int, conn: Any = None) -> tuple[dict[int, int], list[_Scanned], dict[int, Any]]:
    """(expected {asset id: room}, scans in order, rooms {place id: StocktakeRoom})."""
    expected = dict(
        await StocktakeItem.filter(stocktake_id=stocktake_id).using_db(conn).values_list("asset_id", "place_id")
    )
    scans = [
        _Scanned(p, a, c)
        for p, a, c in await StocktakeScan.filter(stocktake_id=stocktake_id)
        .using_db(conn)
        .order_by("at", "id")
        .values_list("place_id", "asset_id", "code")
    ]
    rooms = {r.place_id: r for r in await StocktakeRoom.filter(stocktake_id=stocktake_id).using_db(conn)}
    return expected, scans, rooms


async def _asset_rows(asset_ids: set[int]) -> dict[int, dict]:
    rows = await Asset.filter(id__in=asset_ids).values("id", "asset_no", "name", "spec", "unit_id", "status")
    return {r["id"]: r for r in rows}


async def detail(scope: Scope, stocktake_id: int) -> dict:
    """The task with its checkers, each room's progress (expected, found there, other codes
    scanned there, submitted by whom and when) and its findings: stored ones once closed (with
    their resolution), a preview while open."""
    task = await _task_in_scope(scope, stocktake_id)
    expected, scans, rooms = await _state_of(task.id)
    checker_ids = await StocktakeChecker.filter(stocktake_id=task.id).values_list("person_id", flat=True)
    checked_by = {r.checked_by_id for r in rooms.values() if r.checked_by_id}
    persons = {p.id: p for p in await people.people_summaries(set(checker_ids) | checked_by)}
    if task.state is StocktakeState.CLOSED:
        stored = await StocktakeFinding.filter(stocktake_id=task.id).order_by("id")
        findings = [
            {
                "id": f.id,
                "kind": f.kind,
                "asset_id": f.asset_id,
                "code": f.code,
                "expected_place_id": f.expected_place_id,
                "found_place_id": f.found_place_id,
                "resolution": f.resolution,
                "resolved_by": f.resolved_by,
                "resolved_at": f.resolved_at.isoformat() if f.resolved_at else None,
                "note": f.note,
            }
            for f in stored
        ]
    else:
        checked = {p for p, r in rooms.items() if r.checked_at}
        findings = [
            {**f, "id": None, "resolution": None, "resolved_by": "", "resolved_at": None, "note": ""}
            for f in compute_findings(expected, scans, checked, final=False)
        ]
    place_ids = set(rooms) | {f["found_place_id"] for f in findings if f["found_place_id"]}
    place_ids |= {f["expected_place_id"] for f in findings if f["expected_place_id"]}
    names = await places.full_names(place_ids | ({task.building_id} if task.building_id else set()))
    assets = await _asset_rows(set(expected) | {f["asset_id"] for f in findings if f["asset_id"]})

    # Counted in one pass each: a building's task holds thousands of assets in hundreds of rooms.
    wanted: dict[int, int] = {}
    for place_id in expected.values():
        wanted[place_id] = wanted.get(place_id, 0) + 1
    scanned: dict[int, int] = {}
    found_here: dict[int, int] = {}
    for s in scans:
        scanned[s.place_id] = scanned.get(s.place_id, 0) + 1
        if s.asset_id is not None and expected.get(s.asset_id) == s.place_id:
            found_here[s.place_id] = found_here.get(s.place_id, 0) + 1
    progress = []
    for place_id, room in sorted(rooms.items(), key=lambda r: names.get(r[0], "")):
        progress.append(
            {
                "place_id": place_id,
                "place_name": names.get(place_id, ""),
                "expected": wanted.get(place_id, 0),
                "found": found_here.get(place_id, 0),
                "other_scans": scanned.get(place_id, 0) - found_here.get(place_id, 0),
                "checked": room.checked_at is not None,
                "checked_by": persons[room.checked_by_id].name if room.checked_by_id in persons else "",
                "checked_at": room.checked_at.isoformat() if room.checked_at else None,
            }
        )
    view = _task_view(task, {"units": await _unit_names({task.unit_id} if task.unit_id else set()), "places": names})
    return {
        **view,
        "checkers": [
            {"employee_no": persons[i].employee_no, "name": persons[i].name} for i in checker_ids if i in persons
        ],
        "rooms": progress,
        "rooms_checked": sum(r["checked"] for r in progress),
        "expected_items": len(expected),
        "found_items": len({s.asset_id for s in scans if s.asset_id in expected}),
        "findings": [_finding_view(f, assets, names) for f in findings],
    }


def _finding_view(f: dict, assets: dict[int, dict], names: dict[int, str]) -> dict:
    asset = assets.get(f["asset_id"]) if f["asset_id"] else None
    kind: FindingKind = f["kind"]
    resolution: Resolution | None = f["resolution"]
    return {
        "id": f["id"],
        "kind": kind.value,
        "kind_label": kind.label,
        "asset_id": f["asset_id"],
        "asset_no": asset["asset_no"] if asset else "",
        "asset_name": asset["name"] if asset else "",
        "spec": asset["spec"] if asset else "",
        "code": f["code"],
        "expected_place_id": f["expected_place_id"],
        "expected_place": names.get(f["expected_place_id"], "") if f["expected_place_id"] else "",
        "found_place_id": f["found_place_id"],
        "found_place": names.get(f["found_place_id"], "") if f["found_place_id"] else "",
        "resolution": resolution.value if resolution else None,
        "resolution_label": resolution.label if resolution else "",
        "resolutions": [{"value": r.value, "label": r.label} for r in _allowed(kind, f["asset_id"])],
        "resolved_by": f["resolved_by"],
        "resolved_at": f["resolved_at"],
        "note": f["note"],
    }


def _allowed(kind: FindingKind, asset_id: int | None) -> tuple[Resolution, ...]:
    # An unknown label that names no card has nowhere to be moved to.
    return tuple(r for r in ALLOWED[kind] if r is not Resolution.RELOCATED or asset_id is not None)


# ---- the checker's side (mini-program) -----------------------------------------------------------


async def _checker_task(conn: Any, person_id: int, stocktake_id: int, lock: bool = False) -> Stocktake:
    query = Stocktake.filter(id=stocktake_id).using_db(conn)
    task = await (query.select_for_update() if lock else query).first()
    if task is None:
        raise AssetsError.STOCKTAKE_NOT_FOUND.error()
    if not await StocktakeChecker.filter(stocktake_id=stocktake_id, person_id=person_id).using_db(conn).exists():
        raise AssetsError.NOT_STOCKTAKE_CHECKER.error()
    return task


async def _task_room(conn: Any, stocktake_id: int, place_id: int) -> StocktakeRoom:
    room = await StocktakeRoom.get_or_none(stocktake_id=stocktake_id, place_id=place_id).using_db(conn)
    if room is None:
        raise AssetsError.ROOM_NOT_IN_STOCKTAKE.error()
    return room


async def my_tasks(person_id: int) -> list[dict]:
    """The open stock-takes `person_id` checks, newest first, with rooms submitted of rooms."""
    ids = await StocktakeChecker.filter(person_id=person_id).values_list("stocktake_id", flat=True)
    tasks = await Stocktake.filter(id__in=ids, state=StocktakeState.OPEN).order_by("-created_at", "-id")
    names = await _names(tasks)
    counts = await _room_counts([t.id for t in tasks])
    return [{**_task_view(t, names), "rooms": counts[t.id][0], "rooms_checked": counts[t.id][1]} for t in tasks]


def _cadre_asset(row: dict) -> dict:
    """What a checker is shown of an asset: no value, no custodian."""
    return {"asset_no": row["asset_no"] or "", "name": row["name"], "spec": row["spec"]}


async def room_view(person_id: int, stocktake_id: int, place_id: int) -> dict:
    """A room of the task as its checker sees it: what is expected there (each marked once
    scanned here), the other codes scanned here, and whether it has been submitted."""
    task = await _checker_task(None, person_id, stocktake_id)
    return await _room_view(task, await _task_room(None, task.id, place_id))


async def _room_view(task: Stocktake, room: StocktakeRoom) -> dict:
    wanted = await StocktakeItem.filter(stocktake_id=task.id, place_id=room.place_id).values_list("asset_id", flat=True)
    scans = await StocktakeScan.filter(stocktake_id=task.id, place_id=room.place_id).order_by("at", "id")
    expected_anywhere = dict(
        await StocktakeItem.filter(
            stocktake_id=task.id, asset_id__in=[s.asset_id for s in scans if s.asset_id]
        ).values_list("asset_id", "place_id")
    )
    assets = await _asset_rows(set(wanted) | {s.asset_id for s in scans if s.asset_id})
    scanned_here = {s.asset_id for s in scans}
    names = await places.full_names({room.place_id} | {p for a, p in expected_anywhere.items() if p != room.place_id})
    checker = await people.person_summary(room.checked_by_id) if room.checked_by_id else None
    expected = sorted(
        ({**_cadre_asset(assets[a]), "scanned": a in scanned_here} for a in wanted if a in assets),
        key=lambda row: row["asset_no"],
    )
    others = []
    for scan in scans:
        if scan.asset_id in wanted:
            continue
        result = _result(scan.asset_id, expected_anywhere, room.place_id)
        others.append(
            {
                "code": scan.code,
                "result": result,
                "result_label": RESULTS[result],
                "asset": _cadre_asset(assets[scan.asset_id]) if scan.asset_id in assets else None,
                "registered_place": names.get(expected_anywhere.get(scan.asset_id), ""),
            }
        )
    return {
        "stocktake_id": task.id,
        "title": task.title,
        "task_open": task.state is StocktakeState.OPEN,
        "place_id": room.place_id,
        "place_name": names.get(room.place_id, ""),
        "submitted": room.checked_at is not None,
        "checked_by": checker.name if checker else "",
        "checked_at": room.checked_at.isoformat() if room.checked_at else None,
        "expected_count": len(expected),
        "scanned_count": sum(row["scanned"] for row in expected),
        "expected": expected,
        "others": others,
    }


RESULTS = {
    "expected": "账实相符",
    "elsewhere": "位置不符（登记在其他房间）",
    "unexpected": "不在本次盘点范围（盘盈）",
    "unknown": "非本平台资产（盘盈）",
}


def _result(asset_id: int | None, expected: dict[int, int], place_id: int) -> str:
    if asset_id is None:
        return "unknown"
    if asset_id not in expected:
        return "unexpected"
    return "expected" if expected[asset_id] == place_id else "elsewhere"


async def enter_room(person_id: int, stocktake_id: int, base_url: str, code: str) -> dict:
    """The room whose QR code the checker scanned at its door (an asset's label or another
    system's code is refused: the room comes first)."""
    target = qr.parse(base_url, code)
    if target.kind != "room":
        raise AssetsError.ROOM_CODE_EXPECTED.error()
    return await room_view(person_id, stocktake_id, target.place_id)


async def scan(person_id: int, stocktake_id: int, place_id: int, base_url: str, code: str, at: datetime) -> dict:
    """Record a code the checker scanned in a room of an open task, once: the same code again
    in the same room answers as the first time. A label of another system, or one of our
    numbers no card has, is recorded as an unknown find; a code of ours that is damaged, or a
    room's code, is refused. Returns {"result", "result_label", "asset", "replayed", "room"}."""
    code = (code or "").strip()
    if not code or len(code) > LONGEST_CODE:
        raise AssetsError.SCAN_CODE_INVALID.error(most=LONGEST_CODE)
    asset: Asset | None = None
    try:
        target = qr.parse(base_url, code)
    except AppError as refusal:
        if refusal.code != AssetsError.QR_FOREIGN.code:
            raise
    else:
        if target.kind != "asset":
            raise AssetsError.ASSET_CODE_EXPECTED.error()
        asset = await Asset.get_or_none(asset_no=target.asset_no)

    async with in_transaction() as conn:
        # The task's row is the lock a close takes too: no scan lands after the findings are fixed.
        task = await _checker_task(conn, person_id, stocktake_id, lock=True)
        if task.state is not StocktakeState.OPEN:
            raise AssetsError.STOCKTAKE_CLOSED.error()
        room = await _task_room(conn, task.id, place_id)
        if room.checked_at is not None:
            raise AssetsError.ROOM_ALREADY_SUBMITTED.error()
        existing = await StocktakeScan.get_or_none(stocktake_id=task.id, place_id=place_id, code=code).using_db(conn)
        if existing is None:
            await StocktakeScan.create(
                stocktake_id=task.id,
                place_id=place_id,
                asset_id=asset.id if asset else None,
                code=code,
                scanned_by_id=person_id,
                at=at,
                using_db=conn,
            )
        registered = None
        if asset is not None:
            item = await StocktakeItem.get_or_none(stocktake_id=task.id, asset_id=asset.id).using_db(conn)
            registered = item.place_id if item else None
    expected = {asset.id: registered} if asset is not None and registered is not None else {}
    result = _result(asset.id if asset else None, expected, place_id)
    return {
        "result": result,
        "result_label": RESULTS[result],
        "asset": _cadre_asset({"asset_no": asset.asset_no, "name": asset.name, "spec": asset.spec}) if asset else None,
        "replayed": existing is not None,
        "room": await _room_view(task, room),
    }


async def submit_room(person_id: int, stocktake_id: int, place_id: int, at: datetime) -> dict:
    """The checker says the room is done: what was scanned there is what is there. Submitting
    twice keeps the first submission."""
    async with in_transaction() as conn:
        task = await _checker_task(conn, person_id, stocktake_id, lock=True)
        if task.state is not StocktakeState.OPEN:
            raise AssetsError.STOCKTAKE_CLOSED.error()
        room = await _task_room(conn, task.id, place_id)
        await (
            StocktakeRoom.filter(id=room.id, checked_at__isnull=True)
            .using_db(conn)
            .update(checked_by_id=person_id, checked_at=at)
        )
        room = await StocktakeRoom.get(id=room.id).using_db(conn)
    return await _room_view(task, room)


# ---- closing and resolving (console) -------------------------------------------------------------


async def close(actor: Actor, scope: Scope, stocktake_id: int, at: datetime) -> dict:
    """End the task and store its findings; rooms not submitted count as checked with what was
    scanned in them. Closing a closed task is refused."""
    async with in_transaction() as conn:
        task = await _task_in_scope(scope, stocktake_id, conn, lock=True)
        if task.state is not StocktakeState.OPEN:
            raise AssetsError.STOCKTAKE_CLOSED.error()
        expected, scans, rooms = await _state_of(task.id, conn)
        findings = compute_findings(expected, scans, set(), final=True)
        await StocktakeFinding.bulk_create(
            [StocktakeFinding(stocktake_id=task.id, **f) for f in findings], batch_size=1000, using_db=conn
        )
        task.state, task.closed_at = StocktakeState.CLOSED, at
        await task.save(using_db=conn, update_fields=["state", "closed_at"])
        counts = {kind: sum(f["kind"] is kind for f in findings) for kind in FindingKind}
        await record(
            conn,
            actor,
            "assets.close_stocktake",
            "stocktake",
            task.id,
            {"state": StocktakeState.OPEN.value},
            {
                "state": StocktakeState.CLOSED.value,
                "rooms_checked": sum(r.checked_at is not None for r in rooms.values()),
                "missing": counts[FindingKind.MISSING],
                "moved": counts[FindingKind.MOVED],
                "unknown": counts[FindingKind.UNKNOWN],
            },
        )
    return await detail(scope, stocktake_id)


async def resolve(
    actor: Actor, scope: Scope, stocktake_id: int, finding_id: int, resolution: Resolution, note: str, at: datetime
) -> dict:
    """Resolve one finding of the task, once (see the module's docstring for what each
    resolution does to the asset's card)."""
    note = (note or "").strip()
    if len(note) > 300:
        raise AssetsError.RESOLUTION_NOTE_TOO_LONG.error()
    async with in_transaction() as conn:
        finding = await StocktakeFinding.get_or_none(id=finding_id, stocktake_id=stocktake_id).using_db(conn)
        if finding is None:
            raise AssetsError.FINDING_NOT_FOUND.error()
        task = await _task_in_scope(scope, finding.stocktake_id, conn)
        if resolution not in _allowed(finding.kind, finding.asset_id):
            raise AssetsError.RESOLUTION_INVALID.error(kind=finding.kind.label, resolution=resolution.label)
        done = (
            await StocktakeFinding.filter(id=finding.id, resolution__isnull=True)
            .using_db(conn)
            .update(resolution=resolution, resolved_by=actor.name, resolved_at=at, note=note)
        )
        if not done:
            raise AssetsError.FINDING_RESOLVED.error()
        if resolution in (Resolution.RELOCATED, Resolution.WRITE_OFF):
            asset = await Asset.filter(id=finding.asset_id).using_db(conn).select_for_update().first()
            if asset is None:
                raise AssetsError.ASSET_NOT_FOUND.error()
            unit = (await people.units_by_id([asset.unit_id])).get(asset.unit_id)
            if unit is None or not scope.reaches_unit(unit.path):
                raise AssetsError.STOCKTAKE_ASSET_OUT_OF_SCOPE.error()
            if asset.status in LOCKED:
                raise AssetsError.STOCKTAKE_ASSET_LOCKED.error(status=asset.status.label)
            await moves.refuse_if_on_loan(conn, asset)
            await _refuse_if_outdated(conn, task, finding, asset)
            if resolution is Resolution.RELOCATED:
                why = f"盘点“{task.title}”在此房间找到"
                await moves.move(
                    conn, asset, MoveReason.STOCKTAKE, actor.name, at, place_id=finding.found_place_id, note=why
                )
            else:
                why = f"盘点“{task.title}”未找到，核销：转闲置、清空房间，待申请处置" + (f"：{note}" if note else "")
                await moves.move(
                    conn, asset, MoveReason.STOCKTAKE, actor.name, at, place_id=None, status=AssetStatus.IDLE, note=why
                )
        await record(
            conn,
            actor,
            "assets.resolve_stocktake_finding",
            "stocktake_finding",
            finding.id,
            {"kind": finding.kind.value, "resolution": None},
            {
                "kind": finding.kind.value,
                "resolution": resolution.value,
                "asset_id": finding.asset_id,
                "found_place_id": finding.found_place_id,
                "note": note,
            },
        )
    view = await detail(scope, task.id)
    return next(f for f in view["findings"] if f["id"] == finding_id)


async def _refuse_if_outdated(conn: Any, task: Stocktake, finding: StocktakeFinding, asset: Asset) -> None:
    """A finding describes the asset as the task saw it: if its card has since been given another
    unit, room or status (by the 公物仓, a disposal, an edit or another finding), correcting it
    from the finding would undo that change (assets.finding_outdated)."""
    if finding.kind is not FindingKind.UNKNOWN and asset.place_id != finding.expected_place_id:
        raise AssetsError.FINDING_OUTDATED.error()
    moved = (
        await AssetMove.filter(asset_id=asset.id, at__gte=task.created_at)
        .using_db(conn)
        .values_list("from_unit_id", "to_unit_id", "from_place_id", "to_place_id", "from_status", "to_status")
    )
    if any(row[0] != row[1] or row[2] != row[3] or row[4] != row[5] for row in moved):
        raise AssetsError.FINDING_OUTDATED.error()


# ---- Excel report --------------------------------------------------------------------------------

FINDING_HEADER = (
    "差异类型",
    "资产编号",
    "资产名称",
    "规格型号",
    "应在房间",
    "实际房间",
    "扫码内容",
    "处理结果",
    "处理人",
    "处理时间",
    "处理说明",
)
ROOM_HEADER = ("房间", "应有资产", "已找到", "其他扫码", "状态", "盘点人", "提交时间")


def _local(text: str | None) -> str:
    return datetime.fromisoformat(text).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M") if text else ""


async def report_workbook(scope: Scope, stocktake_id: int) -> tuple[str, bytes]:
    """(file name, .xlsx) of the task: its findings with their resolution, and each room's progress."""
    view = await detail(scope, stocktake_id)
    findings = [
        (
            f["kind_label"],
            f["asset_no"],
            f["asset_name"],
            f["spec"],
            f["expected_place"],
            f["found_place"],
            f["code"] if not f["asset_no"] else "",
            f["resolution_label"] or ("待处理" if view["state"] == StocktakeState.CLOSED.value else "盘点中"),
            f["resolved_by"],
            _local(f["resolved_at"]),
            f["note"],
        )
        for f in view["findings"]
    ]
    rooms = [
        (
            r["place_name"],
            r["expected"],
            r["found"],
            r["other_scans"],
            "已提交" if r["checked"] else "未提交",
            r["checked_by"],
            _local(r["checked_at"]),
        )
        for r in view["rooms"]
    ]
    caption = f"{view['title']}（{view['state_label']}）"
    body = await workbook(
        [
            Sheet("盘点差异", FINDING_HEADER, findings, caption=caption),
            Sheet("房间进度", ROOM_HEADER, rooms, caption=caption),
        ]
    )
    return f"盘点报告-{view['id']}.xlsx", body
