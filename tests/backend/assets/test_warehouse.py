"""The 公物仓: moving an asset in, the catalogue, a unit's request holding the item through its
approval, what approval, refusal, withdrawal and a loan's return do to the asset and the item,
savings, reminders, and the approval that no other unit's approver can decide."""

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.approvals import service as approvals
from backend.assets.models import (
    Asset,
    AssetMove,
    AssetStatus,
    DisposalMethod,
    ItemCondition,
    MoveReason,
    RequestKind,
    RequestState,
    WarehouseEntry,
    WarehouseRequest,
)
from backend.assets.service import disposals, notices, warehouse
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now, today
from backend.notices.models import Notice
from tests.helpers import jpeg
from tests.helpers.assets_approvals import bureau_decides, chain_decides, leader_decides

STAFF = Actor(admin_id=None, name="公物仓管理员")


def _form(world, unit="FGW-GHC", kind=RequestKind.ALLOCATE, **fields) -> warehouse.RequestForm:
    return warehouse.RequestForm(
        entry_id=fields.pop("entry_id", world.table_entry.id),
        unit_id=world.units[unit],
        kind=kind,
        purpose=fields.pop("purpose", "新设会议室使用"),
        **fields,
    )


async def _request(world, person="D0002", ref="ref-0000001", **form) -> dict:
    found, created = await warehouse.request_item(world.people[person], ref, _form(world, **form), now())
    assert created
    return found


async def test_moving_an_asset_in_takes_it_to_the_warehouse_room_without_custodian_and_keeps_its_unit(
    assets_world, runtime
):
    pc = assets_world.assets["pc"]
    found = await warehouse.move_in(
        STAFF, runtime.storage, pc.id, assets_world.warehouse.id, ItemCondition.GOOD, "机房更新换下", [jpeg()], now()
    )
    asset = await Asset.get(id=pc.id)
    assert (asset.status, asset.place_id, asset.custodian_id) == (
        AssetStatus.IN_WAREHOUSE,
        assets_world.places["101"],
        None,
    )
    assert asset.unit_id == assets_world.units["FGW-BGS"]
    assert found["available"] and found["photos"] == 1 and found["from_unit"]
    assert await runtime.storage.get((await WarehouseEntry.get(id=found["id"])).photo_keys[0])
    assert await AssetMove.filter(asset_id=pc.id, reason=MoveReason.WAREHOUSE_IN).count() == 1
    assert await AuditEntry.filter(action="assets.warehouse_in", object_id=str(pc.id)).exists()


async def test_an_asset_already_in_the_warehouse_or_being_disposed_of_cannot_move_in(assets_world, runtime):
    table = assets_world.assets["table"]
    with pytest.raises(AppError) as refused:
        await warehouse.move_in(
            STAFF, runtime.storage, table.id, assets_world.warehouse.id, ItemCondition.GOOD, "", [], now()
        )
    assert refused.value.code == "assets.not_movable_in"
    await Asset.filter(id=assets_world.assets["desk"].id).update(status=AssetStatus.PENDING_DISPOSAL)
    with pytest.raises(AppError) as refused:
        await warehouse.move_in(
            STAFF,
            runtime.storage,
            assets_world.assets["desk"].id,
            assets_world.warehouse.id,
            ItemCondition.GOOD,
            "",
            [],
            now(),
        )
    assert refused.value.code == "assets.not_movable_in"
    assert await WarehouseEntry.all().count() == 1


async def test_a_photo_that_is_no_image_leaves_the_asset_where_it_was(assets_world, runtime):
    pc = assets_world.assets["pc"]
    with pytest.raises(AppError):
        await warehouse.move_in(
            STAFF, runtime.storage, pc.id, assets_world.warehouse.id, ItemCondition.GOOD, "", [b"not a jpeg"], now()
        )
    assert (await Asset.get(id=pc.id)).status is AssetStatus.IN_USE
    assert not await WarehouseEntry.filter(asset_id=pc.id).exists()


async def test_a_request_holds_the_item_so_the_second_unit_is_told_it_is_taken(assets_world):
    first = await _request(assets_world)
    assert first["state"] == RequestState.PENDING.value and first["request_no"].startswith("GC")
    assert (await warehouse.catalogue(1, 20))["total"] == 0
    with pytest.raises(AppError) as taken:
        await warehouse.request_item(
            assets_world.people["D0003"], "ref-0000002", _form(assets_world, unit="CZJ-BGS"), now()
        )
    assert taken.value.code == "assets.item_taken"
    assert await WarehouseRequest.all().count() == 1
    entry = await WarehouseEntry.get(id=assets_world.table_entry.id)
    assert entry.held_by_request_id == first["id"]
    assert await warehouse.pending_count() == 1


async def test_the_same_client_ref_files_one_request(assets_world):
    first = await _request(assets_world)
    again, created = await warehouse.request_item(
        assets_world.people["D0002"], "ref-0000001", _form(assets_world), now()
    )
    assert not created and again["id"] == first["id"]
    assert await WarehouseRequest.all().count() == 1


@pytest.mark.parametrize(
    ("person", "unit", "fields", "code"),
    [
        ("D0003", "FGW-GHC", {}, "assets.not_asset_officer"),
        ("D0001", "FGW-BGS", {}, "assets.not_asset_officer"),
        ("D0002", "FGW-GHC", {"kind": RequestKind.LOAN}, "assets.return_due_invalid"),
        ("D0002", "FGW-GHC", {"kind": RequestKind.LOAN, "return_due": "past"}, "assets.return_due_invalid"),
        ("D0002", "FGW-GHC", {"return_due": "soon"}, "assets.return_due_for_loan_only"),
        ("D0002", "FGW-GHC", {"purpose": " "}, "assets.purpose_required"),
        ("D0002", "FGW-GHC", {"place_id": "A座 3楼"}, "assets.request_place_invalid"),
        ("D0002", "FGW-GHC", {"entry_id": 999_999}, "assets.item_not_found"),
    ],
)
async def test_bad_requests_are_refused_and_write_nothing(assets_world, person, unit, fields, code):
    days = {"past": -1, "soon": 3}
    if "return_due" in fields:
        fields["return_due"] = today() + timedelta(days=days[fields["return_due"]])
    if "place_id" in fields:
        fields["place_id"] = assets_world.places[fields["place_id"]]
    with pytest.raises(AppError) as refused:
        await warehouse.request_item(
            assets_world.people[person], "ref-bad-001", _form(assets_world, unit, **fields), now()
        )
    assert refused.value.code == code
    assert await WarehouseRequest.all().count() == 0
    assert (await WarehouseEntry.get(id=assets_world.table_entry.id)).held_by_request_id is None


async def test_an_approved_allocation_moves_the_asset_to_the_unit_closes_the_stay_and_counts_savings(assets_world):
    room, custodian = assets_world.places["301"], assets_world.people["D0001"]
    request = await _request(assets_world, unit="FGW-BGS", place_id=room, custodian_id=custodian)
    await chain_decides(assets_world, request, approve=True)

    table = await Asset.get(id=assets_world.assets["table"].id)
    assert (table.unit_id, table.place_id, table.custodian_id, table.status) == (
        assets_world.units["FGW-BGS"],
        room,
        custodian,
        AssetStatus.IN_USE,
    )
    entry = await WarehouseEntry.get(id=assets_world.table_entry.id)
    assert entry.open_asset_id is None and entry.left_at is not None
    stored = await WarehouseRequest.get(id=request["id"])
    assert stored.state is RequestState.APPROVED and stored.saved_fen == 450000
    assert await AssetMove.filter(asset_id=table.id, reason=MoveReason.WAREHOUSE_OUT).count() == 1
    saved = await warehouse.savings(today(), today())
    assert (saved["saved_fen"], saved["items"], saved["units"]) == (450000, 1, 1)
    assert saved["by_unit"][0]["unit"]
    assert await warehouse.pending_count() == 0
    assert await Notice.filter(template="assets.request", subject_id=request["id"]).exists()


async def test_a_refused_request_releases_the_item_back_to_the_catalogue(assets_world):
    request = await _request(assets_world)
    await chain_decides(assets_world, request, approve=False)
    assert (await WarehouseRequest.get(id=request["id"])).state is RequestState.REFUSED
    assert (await warehouse.catalogue(1, 20))["total"] == 1
    table = await Asset.get(id=assets_world.assets["table"].id)
    assert table.status is AssetStatus.IN_WAREHOUSE and table.unit_id == assets_world.units["FGW-GHC"]
    assert (await warehouse.savings(today(), today()))["saved_fen"] == 0


async def test_a_withdrawn_request_releases_the_item_and_can_no_longer_be_approved(assets_world):
    request = await _request(assets_world)
    cancelled = await warehouse.cancel(assets_world.people["D0002"], request["id"], now())
    assert cancelled["state"] == RequestState.CANCELLED.value
    assert (await warehouse.catalogue(1, 20))["total"] == 1
    with pytest.raises(AppError) as refused:
        await chain_decides(assets_world, request, approve=True)
    assert refused.value.code == "approvals.cancelled"
    assert (await Asset.get(id=assets_world.assets["table"].id)).status is AssetStatus.IN_WAREHOUSE


async def test_only_the_requester_withdraws_and_only_while_in_approval(assets_world):
    request = await _request(assets_world)
    with pytest.raises(AppError) as refused:
        await warehouse.cancel(assets_world.people["D0003"], request["id"], now())
    assert refused.value.code == "assets.warehouse_request_not_found"
    await chain_decides(assets_world, request, approve=True)
    with pytest.raises(AppError) as refused:
        await warehouse.cancel(assets_world.people["D0002"], request["id"], now())
    assert refused.value.code == "assets.warehouse_request_state"


async def test_another_units_approver_cannot_decide_the_request(assets_world):
    request = await _request(assets_world)
    with pytest.raises(AppError) as refused:
        await leader_decides(assets_world, request, approver="D0004", unit="CZJ")
    assert refused.value.code == "approvals.not_approver"
    assert (await WarehouseRequest.get(id=request["id"])).state is RequestState.PENDING


async def test_a_loan_goes_out_held_and_comes_back_to_the_warehouse_under_the_givers_unit(assets_world):
    due = today() + timedelta(days=10)
    room = assets_world.places["302"]
    request = await _request(
        assets_world, person="D0003", unit="CZJ-BGS", kind=RequestKind.LOAN, return_due=due, place_id=room
    )
    await chain_decides(assets_world, request, approve=True, approver="D0004", unit="CZJ")

    table = await Asset.get(id=assets_world.assets["table"].id)
    assert (table.unit_id, table.place_id, table.status) == (assets_world.units["CZJ-BGS"], room, AssetStatus.IN_USE)
    entry = await WarehouseEntry.get(id=assets_world.table_entry.id)
    assert entry.open_asset_id == table.id and entry.held_by_request_id == request["id"]
    assert (await WarehouseRequest.get(id=request["id"])).saved_fen == 0
    assert [loan["id"] for loan in await warehouse.loans_out(today())] == [request["id"]]
    assert await warehouse.loans_out(due + timedelta(days=1), overdue_only=True)

    back = await warehouse.return_loan(STAFF, request["id"], ItemCondition.FAIR, now())
    assert back["state"] == RequestState.RETURNED.value
    table = await Asset.get(id=table.id)
    assert (table.unit_id, table.place_id, table.custodian_id, table.status) == (
        assets_world.units["FGW-GHC"],
        assets_world.places["101"],
        None,
        AssetStatus.IN_WAREHOUSE,
    )
    entry = await WarehouseEntry.get(id=entry.id)
    assert entry.held_by_request_id is None and entry.condition is ItemCondition.FAIR
    assert (await warehouse.catalogue(1, 20))["total"] == 1
    again = await warehouse.return_loan(STAFF, request["id"], ItemCondition.FAIR, now())
    assert again["returned_at"] == back["returned_at"]
    assert await AssetMove.filter(asset_id=table.id, reason=MoveReason.LOAN_RETURN).count() == 1


async def test_an_allocation_cannot_be_returned(assets_world):
    request = await _request(assets_world)
    with pytest.raises(AppError) as refused:
        await warehouse.return_loan(STAFF, request["id"], ItemCondition.GOOD, now())
    assert refused.value.code == "assets.warehouse_request_state"


async def test_loans_due_soon_and_overdue_get_one_reminder_each(assets_world, runtime):
    request = await _request(
        assets_world, person="D0003", unit="CZJ-BGS", kind=RequestKind.LOAN, return_due=today() + timedelta(days=2)
    )
    await chain_decides(assets_world, request, approve=True, approver="D0004", unit="CZJ")
    before = await Notice.filter(template="assets.request").count()
    assert await warehouse.remind_loans(runtime.redis, now() + timedelta(days=1), remind_days=2) == 0
    assert await warehouse.remind_loans(runtime.redis, now(), remind_days=2) == 1
    assert await warehouse.remind_loans(runtime.redis, now(), remind_days=2) == 0
    assert await warehouse.remind_loans(runtime.redis, now() + timedelta(days=3), remind_days=2) == 1
    assert await warehouse.remind_loans(runtime.redis, now() + timedelta(days=3), remind_days=2) == 0
    assert await Notice.filter(template="assets.request").count() == before + 2
    message = await notices.render_request(request["id"])
    assert message is not None and message.data["thing5"].startswith("请于")


async def test_the_catalogue_finds_items_by_class_and_words(assets_world):
    tables = assets_world.categories["A050103"]
    assert (await warehouse.catalogue(1, 20, category_id=assets_world.categories["A05"].id))["total"] == 1
    assert (await warehouse.catalogue(1, 20, category_id=assets_world.categories["A02"].id))["total"] == 0
    assert (await warehouse.catalogue(1, 20, q="实木"))["items"][0]["category"] == tables.name
    assert (await warehouse.catalogue(1, 20, q="沙发"))["total"] == 0


async def test_with_no_flow_set_up_an_allocation_waits_for_the_bureau_after_the_units_leader(assets_world):
    request = await _request(assets_world)
    assert [s["title"] for s in request["approval"]["steps"]] == ["单位审批", "主管部门审批"]
    await leader_decides(assets_world, request)
    waiting = await WarehouseRequest.get(id=request["id"])
    table = await Asset.get(id=assets_world.assets["table"].id)
    assert (waiting.state, waiting.saved_fen, table.status) == (RequestState.PENDING, 0, AssetStatus.IN_WAREHOUSE)
    await bureau_decides(assets_world, request["approval"]["id"])
    assert (await WarehouseRequest.get(id=request["id"])).state is RequestState.APPROVED


async def test_a_client_ref_reused_for_another_item_is_refused_not_answered_with_the_first(assets_world, runtime):
    first = await _request(assets_world)
    again, created = await warehouse.request_item(
        assets_world.people["D0002"], "ref-0000001", _form(assets_world), now()
    )
    assert (again["id"], created) == (first["id"], False)
    pc = assets_world.assets["pc"]
    other = await warehouse.move_in(
        STAFF, runtime.storage, pc.id, assets_world.warehouse.id, ItemCondition.GOOD, "", [], now()
    )
    with pytest.raises(AppError) as reused:
        await warehouse.request_item(
            assets_world.people["D0002"], "ref-0000001", _form(assets_world, entry_id=other["id"]), now()
        )
    assert (reused.value.code, reused.value.status) == ("assets.client_ref_reused", 409)
    assert first["request_no"] in reused.value.message
    assert await WarehouseRequest.all().count() == 1


async def test_a_page_of_requests_reads_the_approvals_at_once_not_one_per_row(assets_world, monkeypatch):
    await _request(assets_world)

    async def one_by_one(*args, **kwargs):
        raise AssertionError("an approval read per row")

    monkeypatch.setattr(approvals, "of_subject", one_by_one)
    listed = await warehouse.requests(1, 20)
    assert listed["items"][0]["approval"]["steps"][0]["title"] == "单位审批"


async def test_a_unit_taking_back_its_own_item_counts_no_saving(assets_world):
    # The table was given by FGW-GHC; FGW-GHC asks for it back.
    request = await _request(assets_world, unit="FGW-GHC", place_id=assets_world.places["303"])
    await chain_decides(assets_world, request, approve=True)
    stored = await WarehouseRequest.get(id=request["id"])
    assert (stored.state, stored.saved_fen) == (RequestState.APPROVED, 0)
    assert (await warehouse.savings(today(), today()))["saved_fen"] == 0


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"place": "302"}, "assets.request_place_not_units"),  # CZJ-BGS's office
        ({"custodian": "D0003"}, "assets.request_custodian_not_units"),  # a CZJ-BGS cadre
        ({"custodian": "D0001"}, "assets.request_custodian_not_units"),  # FGW-BGS, not below FGW-GHC
    ],
)
async def test_an_item_cannot_be_asked_into_another_units_room_or_hands(assets_world, fields, code):
    form = {}
    if "place" in fields:
        form["place_id"] = assets_world.places[fields["place"]]
    if "custodian" in fields:
        form["custodian_id"] = assets_world.people[fields["custodian"]]
    with pytest.raises(AppError) as refused:
        await warehouse.request_item(assets_world.people["D0002"], "ref-0000009", _form(assets_world, **form), now())
    assert refused.value.code == code
    assert await WarehouseRequest.all().count() == 0


async def test_an_item_may_go_to_a_vacant_room_or_one_of_a_unit_below_the_requesting_unit(assets_world):
    vacant = await _request(assets_world, unit="FGW", place_id=assets_world.places["303"])
    assert vacant["state"] == "pending"
    await warehouse.cancel(assets_world.people["D0002"], vacant["id"], now())
    below = await _request(
        assets_world,
        ref="ref-0000002",
        unit="FGW",
        place_id=assets_world.places["301"],
        custodian_id=assets_world.people["D0001"],
    )
    assert below["state"] == "pending"


async def test_an_approval_is_refused_when_the_item_is_no_longer_held_by_the_request(assets_world):
    request = await _request(assets_world, unit="FGW-BGS")
    await leader_decides(assets_world, request)
    await WarehouseEntry.filter(id=assets_world.table_entry.id).update(held_by_request_id=None)
    with pytest.raises(AppError) as refused:
        await bureau_decides(assets_world, request["approval"]["id"])
    assert (refused.value.code, refused.value.status) == ("assets.item_not_held", 409)
    assert "不由该申请占用" in refused.value.message
    table = await Asset.get(id=assets_world.assets["table"].id)
    assert table.status is AssetStatus.IN_WAREHOUSE and table.unit_id == assets_world.units["FGW-GHC"]
    assert (await WarehouseRequest.get(id=request["id"])).state is RequestState.PENDING
    # The item back under the request but the asset moved out meanwhile: refused as well.
    await WarehouseEntry.filter(id=assets_world.table_entry.id).update(held_by_request_id=request["id"])
    await Asset.filter(id=table.id).update(status=AssetStatus.IDLE)
    with pytest.raises(AppError) as moved:
        await bureau_decides(assets_world, request["approval"]["id"])
    assert moved.value.code == "assets.item_not_held" and "闲置" in moved.value.message


async def test_a_loan_is_not_returned_once_the_asset_left_the_borrower(assets_world):
    loan = await _request(
        assets_world,
        unit="FGW-BGS",
        kind=RequestKind.LOAN,
        place_id=assets_world.places["301"],
        return_due=today() + timedelta(days=5),
    )
    await chain_decides(assets_world, loan, approve=True)
    table = assets_world.assets["table"]
    await Asset.filter(id=table.id).update(status=AssetStatus.DISPOSED)
    with pytest.raises(AppError) as refused:
        await warehouse.return_loan(STAFF, loan["id"], ItemCondition.GOOD, now())
    assert (refused.value.code, refused.value.status) == ("assets.loan_not_out", 409)
    assert "已处置" in refused.value.message
    await Asset.filter(id=table.id).update(status=AssetStatus.IN_USE, unit_id=assets_world.units["CZJ-BGS"])
    with pytest.raises(AppError) as elsewhere:
        await warehouse.return_loan(STAFF, loan["id"], ItemCondition.GOOD, now())
    assert elsewhere.value.code == "assets.loan_not_out"
    assert (await WarehouseRequest.get(id=loan["id"])).state is RequestState.APPROVED


async def test_a_loans_return_date_is_checked_against_the_day_in_beijing(assets_world):
    # 01:00 on 7 December in Beijing is still 6 December in UTC: the 7th is today, not later.
    at = datetime(2026, 12, 6, 17, 0, tzinfo=UTC)
    form = _form(assets_world, kind=RequestKind.LOAN, return_due=date(2026, 12, 7))
    with pytest.raises(AppError) as refused:
        await warehouse.request_item(assets_world.people["D0002"], "ref-0000010", form, at)
    assert refused.value.code == "assets.return_due_invalid"
    form = _form(assets_world, kind=RequestKind.LOAN, return_due=date(2026, 12, 8))
    found, created = await warehouse.request_item(assets_world.people["D0002"], "ref-0000011", form, at)
    assert created and found["return_due"] == "2026-12-08"


async def test_a_loan_reminder_that_fails_to_queue_is_sent_by_the_next_run(assets_world, runtime, monkeypatch):
    request = await _request(
        assets_world, person="D0003", unit="CZJ-BGS", kind=RequestKind.LOAN, return_due=today() + timedelta(days=2)
    )
    await chain_decides(assets_world, request, approve=True, approver="D0004", unit="CZJ")
    told = notices.tell_requester

    async def broken(*args, **kwargs):
        raise RuntimeError("queue down")

    monkeypatch.setattr(notices, "tell_requester", broken)
    with pytest.raises(RuntimeError):
        await warehouse.remind_loans(runtime.redis, now(), remind_days=2)
    monkeypatch.setattr(notices, "tell_requester", told)
    assert await warehouse.remind_loans(runtime.redis, now(), remind_days=2) == 1
    assert await warehouse.remind_loans(runtime.redis, now(), remind_days=2) == 0


async def test_an_item_taken_out_goes_back_to_its_giver_idle_and_its_stay_closes(assets_world):
    done = await warehouse.take_out(STAFF, assets_world.table_entry.id, "桌腿断裂，无法修复", now())
    table = await Asset.get(id=assets_world.assets["table"].id)
    assert (table.unit_id, table.place_id, table.custodian_id, table.status) == (
        assets_world.units["FGW-GHC"],
        None,
        None,
        AssetStatus.IDLE,
    )
    assert done["unit_id"] == assets_world.units["FGW-GHC"]
    entry = await WarehouseEntry.get(id=assets_world.table_entry.id)
    assert entry.open_asset_id is None and entry.left_at is not None
    move = await AssetMove.get(asset_id=table.id, reason=MoveReason.WAREHOUSE_OUT)
    assert "退回原单位" in move.note and "无法修复" in move.note
    audit = await AuditEntry.get(action="assets.warehouse_out", object_id=str(table.id))
    assert (audit.before["status"], audit.after["status"]) == ("in_warehouse", "idle")
    assert (await warehouse.stock(1, 20))["total"] == 0
    # Now an idle asset of its giver, it may be disposed of.
    disposal, _ = await disposals.request_disposal(
        assets_world.people["D0002"], "disp-out-01", table.asset_no, DisposalMethod.SCRAP, "无法修复，申请报废", now()
    )
    assert disposal["state"] == "pending"
    with pytest.raises(AppError) as again:
        await warehouse.take_out(STAFF, assets_world.table_entry.id, "", now())
    assert again.value.code == "assets.item_not_found"


async def test_an_item_held_by_a_request_cannot_be_taken_out(assets_world):
    request = await _request(assets_world)
    with pytest.raises(AppError) as held:
        await warehouse.take_out(STAFF, assets_world.table_entry.id, "", now())
    assert (held.value.code, held.value.status) == ("assets.item_held_by_request", 409)
    assert request["request_no"] in held.value.message
    table = await Asset.get(id=assets_world.assets["table"].id)
    assert table.status is AssetStatus.IN_WAREHOUSE
    assert not await AuditEntry.filter(action="assets.warehouse_out").exists()


async def test_the_stock_names_the_giving_unit_with_its_agency(assets_world):
    stock = await warehouse.stock(1, 10)
    assert [item["from_unit"] for item in stock["items"]] == ["市发展和改革委员会·发展规划处"]
