"""Stock-taking by room: the issue's proof (a planted missing, moved and unknown asset are found,
and nothing else), scans recorded once, only the task's checkers scanning, closed tasks refusing
scans, and each finding resolved once with what it does to the card."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.models import (
    Asset,
    AssetMove,
    AssetStatus,
    FindingKind,
    MoveReason,
    Resolution,
    StocktakeFinding,
    StocktakeItem,
    StocktakeScan,
)
from backend.assets.service import cards, moves, qr, stocktakes
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.core.timeutil import now

BASE = "http://localhost:8000"
FOREIGN = "https://other-vendor.example/tag/8812"


def asset_code(asset) -> str:
    return qr.asset_qr_text(BASE, asset.asset_no)


async def building_task(world, checkers=("D0002",)) -> dict:
    return await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "A座年度盘点", None, world.places["A座"], list(checkers), now()
    )


async def scan(world, task, room: str, code: str, who: str = "D0002") -> dict:
    return await stocktakes.scan(world.people[who], task["id"], world.places[room], BASE, code, now())


def kinds(view: dict) -> list[tuple[str, str, str, str]]:
    return [(f["kind"], f["asset_no"] or f["code"], f["expected_place"], f["found_place"]) for f in view["findings"]]


async def test_a_planted_missing_moved_and_unknown_asset_are_exactly_the_three_findings(assets_world):
    # given a building task expecting pc and desk in 301, chair in 302 and the 公物仓 table in 101
    world, a = assets_world, assets_world.assets
    task = await building_task(world)
    assert task["expected_items"] == 4 and len(task["rooms"]) == 4  # 101, 301, 302, 303 (empty, still checked)
    # when the desk is never found, the chair turns up in 303 and a foreign label in 301
    await scan(world, task, "301", asset_code(a["pc"]))
    await scan(world, task, "301", FOREIGN)
    await scan(world, task, "303", asset_code(a["chair"]))
    await scan(world, task, "101", asset_code(a["table"]))
    closed = await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    # then exactly those three are found
    assert kinds(closed) == [
        ("missing", a["desk"].asset_no, "A座 3楼 301", ""),
        ("moved", a["chair"].asset_no, "A座 3楼 302", "A座 3楼 303"),
        ("unknown", FOREIGN, "", "A座 3楼 301"),
    ]
    assert await StocktakeFinding.filter(stocktake_id=task["id"]).count() == 3
    assert closed["state"] == "closed" and closed["found_items"] == 3


async def test_an_asset_found_in_its_own_room_and_in_another_is_not_moved(assets_world):
    world, a = assets_world, assets_world.assets
    task = await building_task(world)
    for code, room in ((a["pc"], "301"), (a["desk"], "301"), (a["chair"], "302"), (a["table"], "101")):
        await scan(world, task, room, asset_code(code))
    await scan(world, task, "303", asset_code(a["chair"]))
    closed = await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    assert closed["findings"] == []


async def test_our_number_without_a_card_and_an_asset_outside_the_task_are_unknown(assets_world):
    # given a task over CZJ-BGS alone: it expects the chair in 302 only
    world, a = assets_world, assets_world.assets
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "财政局办公室盘点", world.units["CZJ-BGS"], None, ["D0003"], now()
    )
    assert [r["place_name"] for r in task["rooms"]] == ["A座 3楼 302"] and task["expected_items"] == 1
    ghost = qr.asset_qr_text(BASE, "ZC99999999")
    for code in (asset_code(a["chair"]), asset_code(a["pc"]), ghost):
        answer = await scan(world, task, "302", code, "D0003")
    assert answer["result"] == "unknown" and answer["asset"] is None
    closed = await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    assert kinds(closed) == [
        ("unknown", a["pc"].asset_no, "", "A座 3楼 302"),
        ("unknown", ghost, "", "A座 3楼 302"),
    ]


async def test_a_unit_task_leaves_out_what_the_warehouse_keeps_and_what_was_disposed_of(assets_world):
    world, a = assets_world, assets_world.assets
    await Asset.filter(id=a["desk"].id).update(status=AssetStatus.DISPOSED)
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "发改委盘点", world.units["FGW"], None, ["D0002"], now()
    )
    expected = await StocktakeItem.filter(stocktake_id=task["id"]).values_list("asset_id", flat=True)
    assert expected == [a["pc"].id]  # not the desk (disposed), not the table of FGW-GHC in the 公物仓


async def test_scanning_the_same_code_twice_in_a_room_records_it_once(assets_world):
    world, a = assets_world, assets_world.assets
    task = await building_task(world)
    first = await scan(world, task, "301", asset_code(a["pc"]))
    again = await scan(world, task, "301", asset_code(a["pc"]))
    foreign = [await scan(world, task, "301", FOREIGN) for _ in range(2)]
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert [f["replayed"] for f in foreign] == [False, True]
    assert await StocktakeScan.filter(stocktake_id=task["id"]).count() == 2
    assert foreign[1]["room"]["scanned_count"] == 1 and len(foreign[1]["room"]["others"]) == 1


async def test_the_scan_answer_tells_the_checker_where_the_asset_is_registered(assets_world):
    world, a = assets_world, assets_world.assets
    task = await building_task(world)
    answer = await scan(world, task, "303", asset_code(a["chair"]))
    assert answer["result"] == "elsewhere"
    assert answer["asset"] == {"asset_no": a["chair"].asset_no, "name": "办公椅", "spec": ""}
    [other] = answer["room"]["others"]
    assert other["registered_place"] == "A座 3楼 302"


async def test_only_the_tasks_checkers_may_scan_or_see_its_rooms(assets_world):
    world, a = assets_world, assets_world.assets
    task = await building_task(world, checkers=("D0002",))
    with pytest.raises(AppError) as refused:
        await scan(world, task, "301", asset_code(a["pc"]), who="D0003")
    assert refused.value.code == "assets.not_stocktake_checker"
    with pytest.raises(AppError) as refused:
        await stocktakes.room_view(world.people["D0001"], task["id"], world.places["301"])
    assert refused.value.code == "assets.not_stocktake_checker"
    assert await stocktakes.my_tasks(world.people["D0003"]) == []
    assert [t["id"] for t in await stocktakes.my_tasks(world.people["D0002"])] == [task["id"]]
    assert await StocktakeScan.all().count() == 0


async def test_a_closed_task_refuses_scans_and_submissions(assets_world):
    world, a = assets_world, assets_world.assets
    task = await building_task(world)
    await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    for attempt in (
        scan(world, task, "301", asset_code(a["pc"])),
        stocktakes.submit_room(world.people["D0002"], task["id"], world.places["301"], now()),
        stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now()),
    ):
        with pytest.raises(AppError) as refused:
            await attempt
        assert refused.value.code == "assets.stocktake_closed"
    assert await StocktakeScan.all().count() == 0
    assert await stocktakes.my_tasks(world.people["D0002"]) == []


async def test_a_submitted_room_refuses_more_scans_and_shows_its_missing_assets_before_closing(assets_world):
    world, a = assets_world, assets_world.assets
    task = await building_task(world)
    await scan(world, task, "301", asset_code(a["pc"]))
    preview = await stocktakes.detail(Scope.EVERYTHING, task["id"])
    assert preview["findings"] == []  # nothing counts as missing while its room is being checked
    room = await stocktakes.submit_room(world.people["D0002"], task["id"], world.places["301"], now())
    again = await stocktakes.submit_room(world.people["D0002"], task["id"], world.places["301"], now())
    assert room["submitted"] and room["checked_by"] == "王芳" and again["checked_at"] == room["checked_at"]
    with pytest.raises(AppError) as refused:
        await scan(world, task, "301", asset_code(a["desk"]))
    assert refused.value.code == "assets.room_already_submitted"
    preview = await stocktakes.detail(Scope.EVERYTHING, task["id"])
    assert kinds(preview) == [("missing", a["desk"].asset_no, "A座 3楼 301", "")]
    assert [r["checked"] for r in preview["rooms"] if r["place_name"].endswith("301")] == [True]


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (f"{BASE}/q/a/ZC12", "assets.qr_invalid"),
        (f"{BASE}/q/r/{{room}}", "assets.asset_code_expected"),
        ("", "assets.scan_code_invalid"),
        ("x" * 201, "assets.scan_code_invalid"),
    ],
    ids=["damaged code of ours", "a room's code", "empty", "too long"],
)
async def test_a_damaged_code_of_ours_or_a_rooms_code_is_refused_not_recorded(assets_world, code, error):
    world = assets_world
    task = await building_task(world)
    with pytest.raises(AppError) as refused:
        await scan(world, task, "301", code.replace("{room}", str(world.places["302"])))
    assert refused.value.code == error
    assert await StocktakeScan.all().count() == 0


async def test_entering_a_room_takes_its_qr_code_and_a_room_outside_the_task_is_refused(assets_world):
    world, a = assets_world, assets_world.assets
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "财政局办公室盘点", world.units["CZJ-BGS"], None, ["D0003"], now()
    )
    me = world.people["D0003"]
    room = await stocktakes.enter_room(me, task["id"], BASE, qr.room_qr_text(BASE, world.places["302"]))
    assert room["place_name"] == "A座 3楼 302" and room["expected"][0]["name"] == "办公椅"
    for code, error in (
        (qr.room_qr_text(BASE, world.places["301"]), "assets.room_not_in_stocktake"),
        (asset_code(a["chair"]), "assets.room_code_expected"),
        (FOREIGN, "assets.qr_foreign"),
    ):
        with pytest.raises(AppError) as refused:
            await stocktakes.enter_room(me, task["id"], BASE, code)
        assert refused.value.code == error


@pytest.mark.parametrize(
    ("title", "unit", "building", "checkers", "error"),
    [
        ("盘", "CZJ-BGS", None, ["D0003"], "assets.stocktake_title_invalid"),
        ("年度盘点", None, None, ["D0003"], "assets.stocktake_scope_required"),
        ("年度盘点", "CZJ-BGS", None, [], "assets.stocktake_checkers_invalid"),
        ("年度盘点", "CZJ-BGS", None, ["D9999"], "accounts.person_not_found"),
        ("年度盘点", None, "A座 3楼", ["D0003"], "assets.stocktake_not_building"),
        ("年度盘点", "CZJ", "A座 1楼", ["D0003"], "assets.stocktake_not_building"),
        ("年度盘点", "FGW-GHC", None, ["D0002"], "assets.stocktake_empty"),
    ],
    ids=["short title", "no scope", "no checker", "unknown checker", "a floor", "unit and a floor", "nothing"],
)
async def test_a_task_that_cannot_be_checked_is_refused(assets_world, title, unit, building, checkers, error):
    world = assets_world
    with pytest.raises(AppError) as refused:
        await stocktakes.open_task(
            CLI_ACTOR,
            Scope.EVERYTHING,
            title,
            world.units[unit] if unit else None,
            world.places[building] if building else None,
            checkers,
            now(),
        )
    assert refused.value.code == error


async def test_a_unit_admin_opens_tasks_for_their_units_only_and_sees_only_those(assets_world):
    world = assets_world
    czj = Scope.units([(await people.unit_by_code("CZJ")).path])
    mine = await stocktakes.open_task(CLI_ACTOR, czj, "财政局盘点", world.units["CZJ"], None, ["D0003"], now())
    for unit, building in ((world.units["FGW"], None), (None, world.places["A座"])):
        with pytest.raises(AppError) as refused:
            await stocktakes.open_task(CLI_ACTOR, czj, "越权盘点", unit, building, ["D0003"], now())
        assert refused.value.code == "auth.out_of_scope"
    await building_task(world)
    assert [t["id"] for t in (await stocktakes.list_tasks(czj, 1, 20)).items] == [mine["id"]]
    assert (await stocktakes.list_tasks(Scope.EVERYTHING, 1, 20)).total == 2


async def closed_with_three(world) -> dict:
    a = world.assets
    task = await building_task(world)
    await scan(world, task, "301", asset_code(a["pc"]))
    await scan(world, task, "301", FOREIGN)
    await scan(world, task, "303", asset_code(a["chair"]))
    await scan(world, task, "101", asset_code(a["table"]))
    closed = await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    return {f["kind"]: {**f, "task": task["id"]} for f in closed["findings"]}


async def resolve(finding: dict, resolution: Resolution, note: str, at=None) -> dict:
    return await stocktakes.resolve(
        CLI_ACTOR, Scope.EVERYTHING, finding["task"], finding["id"], resolution, note, at or now()
    )


async def edited(asset_id: int, **changes) -> None:
    """The card changed after the stock-take closed, written as the card form writes a change."""
    async with in_transaction() as conn:
        card = await Asset.get(id=asset_id).using_db(conn)
        await moves.move(conn, card, MoveReason.EDITED, "测试", now(), **changes)


async def test_relocating_a_moved_asset_moves_its_card_to_the_room_it_was_found_in(assets_world):
    world, chair = assets_world, assets_world.assets["chair"]
    found = await closed_with_three(world)
    at = now()
    resolved = await resolve(found["moved"], Resolution.RELOCATED, "核实已搬至303", at)
    assert resolved["resolution_label"] == "按实际位置更正" and resolved["note"] == "核实已搬至303"
    assert (await Asset.get(id=chair.id)).place_id == world.places["303"]
    move = await AssetMove.get(asset_id=chair.id)
    assert (move.reason, move.from_place_id, move.to_place_id) == (
        MoveReason.STOCKTAKE,
        world.places["302"],
        world.places["303"],
    )
    assert await AuditEntry.filter(action="assets.resolve_stocktake_finding").count() == 1


async def test_writing_off_a_missing_asset_leaves_it_idle_without_a_room_for_the_disposal_flow(assets_world):
    world, desk = assets_world, assets_world.assets["desk"]
    found = await closed_with_three(world)
    await resolve(found["missing"], Resolution.WRITE_OFF, "", now())
    card = await Asset.get(id=desk.id)
    assert (card.status, card.place_id) == (AssetStatus.IDLE, None)
    move = await AssetMove.get(asset_id=desk.id)
    assert move.to_status == "idle" and "未找到" in move.note and "转闲置" in move.note and "待处置" not in move.note
    resolved = await StocktakeFinding.get(asset_id=desk.id)
    assert resolved.resolution.label == "核销（转闲置，待申请处置）"


async def test_a_finding_is_resolved_once_and_only_in_a_way_that_fits_it(assets_world):
    world = assets_world
    found = await closed_with_three(world)
    with pytest.raises(AppError) as refused:  # named under another task
        await stocktakes.resolve(
            CLI_ACTOR, Scope.EVERYTHING, found["moved"]["task"] + 1, found["moved"]["id"], Resolution.FOUND, "", now()
        )
    assert refused.value.code == "assets.finding_not_found"
    for finding, resolution, error in (
        (found["missing"], Resolution.RELOCATED, "assets.resolution_invalid"),
        (found["unknown"], Resolution.RELOCATED, "assets.resolution_invalid"),  # a foreign label has no card
        (found["moved"], Resolution.REGISTERED, "assets.resolution_invalid"),
    ):
        with pytest.raises(AppError) as refused:
            await resolve(finding, resolution, "", now())
        assert refused.value.code == error
    await resolve(found["unknown"], Resolution.REGISTERED, "", now())
    with pytest.raises(AppError) as refused:
        await resolve(found["unknown"], Resolution.DISMISSED, "", now())
    assert refused.value.code == "assets.finding_resolved"
    finding = await StocktakeFinding.get(id=found["unknown"]["id"])
    assert finding.resolution is Resolution.REGISTERED and finding.kind is FindingKind.UNKNOWN


async def test_an_asset_taken_into_the_disposal_flow_is_not_relocated_by_a_stocktake(assets_world):
    world, chair = assets_world, assets_world.assets["chair"]
    found = await closed_with_three(world)
    await Asset.filter(id=chair.id).update(status=AssetStatus.PENDING_DISPOSAL)
    with pytest.raises(AppError) as refused:
        await resolve(found["moved"], Resolution.RELOCATED, "", now() + timedelta(minutes=1))
    assert refused.value.code == "assets.stocktake_asset_locked"
    assert (await Asset.get(id=chair.id)).place_id == world.places["302"]
    assert (await StocktakeFinding.get(id=found["moved"]["id"])).resolution is None


async def test_the_excel_report_lists_findings_and_room_progress(assets_world):
    world = assets_world
    found = await closed_with_three(world)
    task_id = found["moved"]["task"]
    name, body = await stocktakes.report_workbook(Scope.EVERYTHING, task_id)
    book = load_workbook(BytesIO(body))
    assert name == f"盘点报告-{task_id}.xlsx" and book.sheetnames == ["盘点差异", "房间进度"]
    rows = list(book["盘点差异"].iter_rows(min_row=3, values_only=True))
    assert [(r[0], r[7]) for r in rows] == [
        ("盘亏（未找到）", "待处理"),
        ("位置不符", "待处理"),
        ("盘盈（清单外）", "待处理"),
    ]
    assert rows[2][6] == FOREIGN
    assert len(list(book["房间进度"].iter_rows(min_row=3))) == 4


async def unknown_pc_in_302(world) -> dict:
    """A closed task over CZJ-BGS in which FGW-BGS's pc was scanned in 302: an asset of ours the
    task did not expect."""
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "财政局办公室盘点", world.units["CZJ-BGS"], None, ["D0003"], now()
    )
    await scan(world, task, "302", asset_code(world.assets["chair"]), "D0003")
    await scan(world, task, "302", asset_code(world.assets["pc"]), "D0003")
    closed = await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    [finding] = closed["findings"]
    assert finding["kind"] == "unknown" and finding["asset_no"] == world.assets["pc"].asset_no
    return {**finding, "task": task["id"]}


async def test_a_unit_admin_cannot_move_another_units_asset_found_in_their_stocktake(assets_world):
    world, pc = assets_world, assets_world.assets["pc"]
    finding = await unknown_pc_in_302(world)
    czj = Scope.units([(await people.unit_by_code("CZJ")).path])
    with pytest.raises(AppError) as refused:
        await stocktakes.resolve(CLI_ACTOR, czj, finding["task"], finding["id"], Resolution.RELOCATED, "", now())
    assert refused.value.code == "assets.stocktake_asset_out_of_scope"
    assert (await Asset.get(id=pc.id)).place_id == world.places["301"]
    assert (await StocktakeFinding.get(id=finding["id"])).resolution is None
    # the finding itself may still be closed without touching the card, and the platform may relocate it
    await resolve(finding, Resolution.RELOCATED, "确属发改委，已搬至302")
    assert (await Asset.get(id=pc.id)).place_id == world.places["302"]


async def test_a_finding_outdated_by_a_later_move_does_not_move_the_asset_back(assets_world):
    world, chair = assets_world, assets_world.assets["chair"]
    found = await closed_with_three(world)
    # after the close, the chair's card is moved to 301 by an edit
    card = await Asset.get(id=chair.id)
    details = cards.CardDetails(
        name=card.name,
        category_id=card.category_id,
        unit_id=card.unit_id,
        original_value_fen=card.original_value_fen,
        purchase_date=card.purchase_date,
        place_id=world.places["301"],
    )
    await cards.update(CLI_ACTOR, Scope.EVERYTHING, chair.id, details)
    with pytest.raises(AppError) as refused:
        await resolve(found["moved"], Resolution.RELOCATED, "")
    assert refused.value.code == "assets.finding_outdated" and "已过时" in refused.value.message
    assert (await Asset.get(id=chair.id)).place_id == world.places["301"]
    assert (await StocktakeFinding.get(id=found["moved"]["id"])).resolution is None
    await resolve(found["moved"], Resolution.FOUND, "已另行更正")  # closing it without the card still works


@pytest.mark.parametrize("change", ["status", "unit", "there and back"])
async def test_a_missing_asset_whose_status_unit_or_room_changed_since_is_not_written_off(assets_world, change):
    world, desk = assets_world, assets_world.assets["desk"]
    found = await closed_with_three(world)
    if change == "status":
        await edited(desk.id, status=AssetStatus.REPAIRING)
    elif change == "unit":
        await edited(desk.id, unit_id=world.units["FGW-GHC"])
    else:
        await edited(desk.id, place_id=world.places["303"])
        await edited(desk.id, place_id=world.places["301"])
    with pytest.raises(AppError) as refused:
        await resolve(found["missing"], Resolution.WRITE_OFF, "")
    assert refused.value.code == "assets.finding_outdated"
    assert (await Asset.get(id=desk.id)).place_id == world.places["301"]


async def test_an_unexpected_asset_moved_since_its_scan_is_not_relocated(assets_world):
    world, pc = assets_world, assets_world.assets["pc"]
    finding = await unknown_pc_in_302(world)
    await edited(pc.id, place_id=world.places["303"])
    with pytest.raises(AppError) as refused:
        await resolve(finding, Resolution.RELOCATED, "")
    assert refused.value.code == "assets.finding_outdated"
    assert (await Asset.get(id=pc.id)).place_id == world.places["303"]


async def test_a_custodian_change_alone_does_not_outdate_a_finding(assets_world):
    world, chair = assets_world, assets_world.assets["chair"]
    found = await closed_with_three(world)
    await edited(chair.id, custodian_id=world.people["D0004"])
    await resolve(found["moved"], Resolution.RELOCATED, "")
    assert (await Asset.get(id=chair.id)).place_id == world.places["303"]


async def test_a_unit_task_is_checked_by_its_own_people_or_its_asset_officers(assets_world):
    world = assets_world

    async def open_over(unit: str, checkers: list[str]) -> dict:
        return await stocktakes.open_task(
            CLI_ACTOR, Scope.EVERYTHING, "办公室盘点", world.units[unit], None, checkers, now()
        )

    for checkers in (["D0003", "D0001"], ["D0005"]):  # FGW's 张伟; 陈静 of the bureau above, no officer
        with pytest.raises(AppError) as refused:
            await open_over("CZJ-BGS", checkers)
        assert refused.value.code == "assets.stocktake_checker_outside"
        assert checkers[-1] in refused.value.message
    await open_over("CZJ-BGS", ["D0003", "D0004"])  # CZJ-BGS's own
    await open_over("FGW-BGS", ["D0001", "D0002"])  # D0002 of FGW-GHC is FGW's asset officer
    # a building task is opened platform-wide and may enlist anyone active
    await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "A座盘点", None, world.places["A座"], ["D0005", "D0003"], now()
    )
