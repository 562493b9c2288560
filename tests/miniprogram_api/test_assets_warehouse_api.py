"""The 公物仓 and disposals in the mini-program: an asset officer browses the catalogue, asks for
an item once per client_ref, is told when another unit holds it, follows and withdraws the
request; the unit's approver decides it in the approvals API; a cadre who is no asset officer
sees nothing; a disposal is asked for by the label's number and withdrawn."""

import secrets
from datetime import timedelta

from backend.approvals.models import ApproverRole
from backend.assets.models import Asset, AssetStatus, Disposal, WarehouseRequest
from backend.core.timeutil import today
from tests.helpers import bearer
from tests.helpers.assets_approvals import bureau_decides
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error

PHONES = {"D0001": "13800000001", "D0002": "13800000002", "D0003": "13800000003", "D0004": "13800000004"}


async def _tokens(client, wechat) -> dict[str, str]:
    return {no: await bound_token(client, wechat, f"o-{no}", phone) for no, phone in PHONES.items()}


def _form(world, unit: str, **fields) -> dict:
    return {
        "client_ref": secrets.token_hex(8),
        "entry_id": world.table_entry.id,
        "unit_id": world.units[unit],
        "kind": "allocate",
        "purpose": "新设会议室使用",
        **fields,
    }


async def test_an_officer_browses_asks_once_and_the_other_unit_is_told_the_item_is_taken(client, wechat, assets_world):
    tokens = await _tokens(client, wechat)
    units = await client.get("/mp/v1/assets/warehouse/units", headers=bearer(tokens["D0002"]))
    assert [u["code"] for u in units.json()["items"]] == ["FGW"]
    listed = await client.get("/mp/v1/assets/warehouse/items", headers=bearer(tokens["D0002"]))
    assert listed.status_code == 200, listed.text
    assert [i["name"] for i in listed.json()["items"]] == ["会议桌"]
    assert listed.json()["items"][0]["original_value_fen"] == 450000

    form = _form(assets_world, "FGW-GHC", place_id=assets_world.places["303"])
    first = await client.post("/mp/v1/assets/warehouse/requests", headers=bearer(tokens["D0002"]), json=form)
    again = await client.post("/mp/v1/assets/warehouse/requests", headers=bearer(tokens["D0002"]), json=form)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["approval"]["steps"][0]["title"] == "单位审批"

    other = await client.post(
        "/mp/v1/assets/warehouse/requests",
        headers=bearer(tokens["D0003"]),
        json=_form(assets_world, "CZJ-BGS"),
    )
    error = assert_error(other, 409, "assets.item_taken")
    assert "其他单位" in error["message"]
    assert await WarehouseRequest.all().count() == 1
    gone = await client.get("/mp/v1/assets/warehouse/items", headers=bearer(tokens["D0003"]))
    assert gone.json()["total"] == 0


async def test_the_units_leader_approves_in_the_approvals_api_and_the_item_is_the_units(client, wechat, assets_world):
    tokens = await _tokens(client, wechat)
    await assets_world.approver("D0001", ApproverRole.UNIT_LEADER, "FGW")
    await assets_world.approver("D0004", ApproverRole.UNIT_LEADER, "CZJ")
    filed = await client.post(
        "/mp/v1/assets/warehouse/requests", headers=bearer(tokens["D0002"]), json=_form(assets_world, "FGW-BGS")
    )
    approval_id = filed.json()["approval"]["id"]
    stranger = await client.post(
        f"/mp/v1/approvals/{approval_id}/decide",
        headers=bearer(tokens["D0004"]),
        json={"position": 1, "approve": True, "comment": ""},
    )
    assert_error(stranger, 403, "approvals.not_approver")
    decided = await client.post(
        f"/mp/v1/approvals/{approval_id}/decide",
        headers=bearer(tokens["D0001"]),
        json={"position": 1, "approve": True, "comment": ""},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["current_position"] == 2  # then the bureau (主管部门审批)
    await bureau_decides(assets_world, approval_id)
    mine = await client.get(f"/mp/v1/assets/warehouse/requests/{filed.json()['id']}", headers=bearer(tokens["D0002"]))
    assert mine.json()["state"] == "approved" and mine.json()["saved_fen"] == 450000
    table = await Asset.get(id=assets_world.assets["table"].id)
    assert (table.unit_id, table.status) == (assets_world.units["FGW-BGS"], AssetStatus.IN_USE)


async def test_a_request_is_withdrawn_and_seen_only_by_its_requester(client, wechat, assets_world):
    tokens = await _tokens(client, wechat)
    due = (today() + timedelta(days=7)).isoformat()
    filed = await client.post(
        "/mp/v1/assets/warehouse/requests",
        headers=bearer(tokens["D0003"]),
        json=_form(assets_world, "CZJ-BGS", kind="loan", return_due=due),
    )
    assert filed.status_code == 201, filed.text
    request_id = filed.json()["id"]
    assert_error(
        await client.get(f"/mp/v1/assets/warehouse/requests/{request_id}", headers=bearer(tokens["D0002"])),
        404,
        "assets.warehouse_request_not_found",
    )
    cancelled = await client.post(
        f"/mp/v1/assets/warehouse/requests/{request_id}/cancel", headers=bearer(tokens["D0003"])
    )
    assert cancelled.json()["state"] == "cancelled"
    mine = await client.get("/mp/v1/assets/warehouse/requests", headers=bearer(tokens["D0003"]))
    assert [r["state_label"] for r in mine.json()["items"]] == ["已撤回"]


async def test_bad_requests_get_a_stable_code(client, wechat, assets_world):
    tokens = await _tokens(client, wechat)
    url, token = "/mp/v1/assets/warehouse/requests", bearer(tokens["D0002"])
    assert_error(
        await client.post(url, headers=token, json=_form(assets_world, "FGW-GHC", kind="loan")),
        422,
        "assets.return_due_invalid",
    )
    assert_error(
        await client.post(url, headers=token, json=_form(assets_world, "CZJ-BGS")), 403, "assets.not_asset_officer"
    )
    assert_error(await client.post(url, headers=token, json={"entry_id": 1}), 422, "common.invalid_input")


async def test_a_cadre_who_is_no_asset_officer_sees_no_catalogue(client, wechat, assets_world):
    tokens = await _tokens(client, wechat)
    assert_error(
        await client.get("/mp/v1/assets/warehouse/items", headers=bearer(tokens["D0001"])),
        403,
        "assets.not_asset_officer",
    )


async def test_an_officer_asks_to_dispose_of_an_asset_by_its_number_and_withdraws_it(client, wechat, assets_world):
    tokens = await _tokens(client, wechat)
    methods = await client.get("/mp/v1/assets/disposals/methods", headers=bearer(tokens["D0002"]))
    assert [m["label"] for m in methods.json()["items"]] == ["报废", "拍卖", "捐赠", "调拨"]
    form = {
        "client_ref": secrets.token_hex(8),
        "asset_no": assets_world.assets["desk"].asset_no,
        "method": "scrap",
        "reason": "桌腿断裂无法修复",
    }
    filed = await client.post("/mp/v1/assets/disposals", headers=bearer(tokens["D0002"]), json=form)
    assert filed.status_code == 201, filed.text
    assert filed.json()["asset_status_label"] == "待处置"
    other = await client.post(
        "/mp/v1/assets/disposals",
        headers=bearer(tokens["D0003"]),
        json={**form, "client_ref": secrets.token_hex(8)},
    )
    assert_error(other, 403, "assets.not_asset_officer")
    cancelled = await client.post(
        f"/mp/v1/assets/disposals/{filed.json()['id']}/cancel", headers=bearer(tokens["D0002"])
    )
    assert cancelled.json()["state"] == "cancelled" and cancelled.json()["asset_status_label"] == "在用"
    mine = await client.get("/mp/v1/assets/disposals", headers=bearer(tokens["D0002"]))
    assert mine.json()["total"] == 1
    assert await Disposal.all().count() == 1


async def test_a_client_ref_reused_for_another_kind_is_a_conflict(client, wechat, assets_world):
    tokens = await _tokens(client, wechat)
    form = _form(assets_world, "FGW-GHC")
    first = await client.post("/mp/v1/assets/warehouse/requests", headers=bearer(tokens["D0002"]), json=form)
    assert first.status_code == 201
    due = (today() + timedelta(days=7)).isoformat()
    other = {**form, "kind": "loan", "return_due": due}
    reused = await client.post("/mp/v1/assets/warehouse/requests", headers=bearer(tokens["D0002"]), json=other)
    assert_error(reused, 409, "assets.client_ref_reused")
