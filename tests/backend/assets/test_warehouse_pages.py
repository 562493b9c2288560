"""The 公物仓 and disposals pages in the console: they render for whoever runs the warehouse or
records disposals and are refused to anyone else; moving in by number with photos, a loan's
return and a disposal's record go through the services and say what is wrong at the field."""

from __future__ import annotations

from backend.approvals.models import ApproverRole
from backend.assets.models import (
    Asset,
    AssetStatus,
    Disposal,
    DisposalMethod,
    DisposalState,
    RequestKind,
    RequestState,
    WarehouseEntry,
    WarehouseRequest,
)
from backend.assets.service import disposals, warehouse
from backend.core.timeutil import now
from tests.helpers import console_admin, jpeg
from tests.helpers.assets_approvals import approved_loan, chain_decides

WAREHOUSE = ["assets.run_warehouse"]
RECORDER = ["assets.record_disposal"]


async def _approved_loan(world) -> dict:
    return await approved_loan(
        world, "page-loan-01", due_in_days=3, person="D0003", unit="CZJ-BGS", approver="D0004", approver_unit="CZJ"
    )


async def _approved_disposal(world, method: DisposalMethod) -> dict:
    found, _ = await disposals.request_disposal(
        world.people["D0002"], "page-disp-01", world.assets["desk"].asset_no, method, "桌腿断裂", now()
    )
    await chain_decides(world, found)
    return found


async def test_the_pages_render_for_their_staff_and_are_refused_to_others(client, assets_world):
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in ("/console/assets/warehouse", "/console/assets/disposals"):
        assert (await client.get(path)).status_code == 403, path
    await console_admin(client, "keeper", WAREHOUSE)
    page = await client.get("/console/assets/warehouse")
    assert page.status_code == 200 and "会议桌" in page.text and "市级公物仓" in page.text
    assert (await client.get("/console/assets/disposals")).status_code == 403
    await console_admin(client, "recorder", RECORDER)
    assert (await client.get("/console/assets/disposals?state=all")).status_code == 200


async def test_moving_in_by_number_with_photos_and_the_errors_at_their_fields(client, assets_world):
    csrf = await console_admin(client, "keeper", WAREHOUSE)
    pc = assets_world.assets["pc"]
    unknown = await client.post(
        "/console/assets/warehouse/move-in",
        data={
            "csrf_token": csrf,
            "asset_no": "ZC99999999",
            "warehouse_id": str(assets_world.warehouse.id),
            "condition": "good",
        },
    )
    assert unknown.status_code == 422 and "资产不存在" in unknown.text
    not_photo = await client.post(
        "/console/assets/warehouse/move-in",
        data={
            "csrf_token": csrf,
            "asset_no": pc.asset_no,
            "warehouse_id": str(assets_world.warehouse.id),
            "condition": "good",
        },
        files={"photos": ("pc.jpg", b"not a photo", "image/jpeg")},
    )
    assert not_photo.status_code == 422 and "不是图片" in not_photo.text
    assert (await Asset.get(id=pc.id)).status is AssetStatus.IN_USE

    moved = await client.post(
        "/console/assets/warehouse/move-in",
        data={
            "csrf_token": csrf,
            "asset_no": pc.asset_no.lower(),
            "warehouse_id": str(assets_world.warehouse.id),
            "condition": "fair",
            "description": "换新后闲置",
        },
        files={"photos": ("pc.jpg", jpeg(), "image/jpeg")},
    )
    assert moved.status_code == 302 and moved.headers["location"].endswith("done=moved_in")
    assert (await Asset.get(id=pc.id)).status is AssetStatus.IN_WAREHOUSE
    entry = await WarehouseEntry.get(open_asset_id=pc.id)
    assert len(entry.photo_keys) == 1 and entry.description == "换新后闲置"
    page = await client.get(moved.headers["location"])
    assert "已入仓" in page.text and "台式计算机" in page.text


async def test_a_warehouse_is_set_up_at_a_room_with_a_unique_name_and_never_at_a_floor(client, assets_world):
    csrf = await console_admin(client, "keeper", WAREHOUSE)
    floor = await client.post(
        "/console/assets/warehouse/warehouses",
        data={"csrf_token": csrf, "name": "东区公物仓", "place_id": str(assets_world.places["A座 3楼"])},
    )
    assert floor.status_code == 422 and "不能是楼层" in floor.text
    taken = await client.post(
        "/console/assets/warehouse/warehouses",
        data={"csrf_token": csrf, "name": "市级公物仓", "place_id": str(assets_world.places["303"])},
    )
    assert taken.status_code == 422 and "已有名为“市级公物仓”的公物仓" in taken.text
    created = await client.post(
        "/console/assets/warehouse/warehouses",
        data={"csrf_token": csrf, "name": "东区公物仓", "place_id": str(assets_world.places["303"])},
    )
    assert created.status_code == 302 and created.headers["location"].endswith("done=created")
    assert [w["name"] for w in await warehouse.warehouses()] == ["东区公物仓", "市级公物仓"]
    page = await client.get(created.headers["location"])
    assert "东区公物仓（A座 3楼 303）" in page.text


async def test_a_loan_is_returned_from_the_page(client, assets_world):
    loan = await _approved_loan(assets_world)
    csrf = await console_admin(client, "keeper", WAREHOUSE)
    page = await client.get("/console/assets/warehouse")
    assert loan["request_no"] in page.text and "归还入仓" in page.text
    overdue = await client.get("/console/assets/warehouse?overdue=1")
    assert loan["request_no"] not in overdue.text and "没有逾期未还的物品" in overdue.text
    returned = await client.post(
        f"/console/assets/warehouse/requests/{loan['id']}/return", data={"csrf_token": csrf, "condition": "good"}
    )
    assert returned.status_code == 302
    assert (await WarehouseRequest.get(id=loan["id"])).state is RequestState.RETURNED
    assert (await Asset.get(id=assets_world.assets["table"].id)).status is AssetStatus.IN_WAREHOUSE


async def test_an_auction_is_recorded_in_yuan_and_a_missing_amount_is_refused(client, assets_world):
    found = await _approved_disposal(assets_world, DisposalMethod.AUCTION)
    csrf = await console_admin(client, "recorder", RECORDER)
    page = await client.get("/console/assets/disposals")
    assert found["disposal_no"] in page.text and "成交金额" in page.text
    missing = await client.post(
        f"/console/assets/disposals/{found['id']}/record", data={"csrf_token": csrf, "document_no": "市财资〔2026〕8号"}
    )
    assert missing.status_code == 422 and "成交金额" in missing.text
    recorded = await client.post(
        f"/console/assets/disposals/{found['id']}/record",
        data={"csrf_token": csrf, "document_no": "市财资〔2026〕8号", "proceeds_fen": "1250.50"},
    )
    assert recorded.status_code == 302
    stored = await Disposal.get(id=found["id"])
    assert (stored.state, stored.proceeds_fen) == (DisposalState.DONE, 125050)
    assert (await Asset.get(id=assets_world.assets["desk"].id)).status is AssetStatus.DISPOSED
    done = await client.get(recorded.headers["location"])
    assert "1,250.50" in done.text or "1250.50" in done.text


async def test_an_item_is_taken_out_from_the_page_and_a_held_one_is_refused_with_its_request(client, assets_world):
    csrf = await console_admin(client, "keeper", WAREHOUSE)
    page = await client.get("/console/assets/warehouse")
    assert f"/console/assets/warehouse/items/{assets_world.table_entry.id}/out" in page.text
    form = warehouse.RequestForm(
        entry_id=assets_world.table_entry.id,
        unit_id=assets_world.units["FGW-GHC"],
        kind=RequestKind.ALLOCATE,
        purpose="新设会议室使用",
    )
    request, _ = await warehouse.request_item(assets_world.people["D0002"], "page-out-01", form, now())
    held = await client.post(
        f"/console/assets/warehouse/items/{assets_world.table_entry.id}/out",
        data={"csrf_token": csrf, "note": "无法修复"},
    )
    assert held.status_code == 409 and request["request_no"] in held.text
    await warehouse.cancel(assets_world.people["D0002"], request["id"], now())
    out = await client.post(
        f"/console/assets/warehouse/items/{assets_world.table_entry.id}/out",
        data={"csrf_token": csrf, "note": "无法修复"},
    )
    assert out.status_code == 302 and "taken_out" in out.headers["location"]
    assert (await Asset.get(id=assets_world.assets["table"].id)).status is AssetStatus.IDLE


async def test_the_page_warns_while_nobody_approves_for_the_bureau(client, assets_world):
    await console_admin(client, "keeper", WAREHOUSE)
    assert 'data-testid="no-authority"' in (await client.get("/console/assets/warehouse")).text
    await assets_world.approver("D0005", ApproverRole.AUTHORITY, "SJGSW")
    assert 'data-testid="no-authority"' not in (await client.get("/console/assets/warehouse")).text
