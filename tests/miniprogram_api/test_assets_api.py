"""The cadre's asset scanning in the mini-program: an asset's code shows its card without its
value and with its custodian's name masked, a room's code shows the room, another system's code
and a damaged one are told apart, and 随手拍 from an asset files a repair in its room once."""

from __future__ import annotations

import secrets
from decimal import Decimal

from backend.assets.models import AssetRepair
from backend.assets.service import qr
from backend.core.audit import CLI_ACTOR
from backend.modules import settings_of
from backend.repairs.service import catalog
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error


def _base(runtime) -> str:
    return settings_of(runtime.settings, "assets").qr_base_url


async def test_scanning_an_asset_shows_its_card_with_the_custodian_masked(client, wechat, assets_world, runtime):
    token = await bound_token(client, wechat)
    pc = assets_world.assets["pc"]
    answer = await client.post(
        "/mp/v1/assets/scan", headers=bearer(token), json={"code": qr.asset_qr_text(_base(runtime), pc.asset_no)}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["kind"] == "asset" and body["room"] is None
    assert {
        "asset_no": pc.asset_no,
        "name": "台式计算机",
        "unit": "市发展和改革委员会·办公室",
        "place_id": assets_world.places["301"],
        "place": "A座 3楼 301",
        "status_label": "在用",
        "custodian": "张*",
        "can_report_repair": True,
    }.items() <= body["asset"].items()
    assert "600000" not in answer.text and "张伟" not in answer.text


async def test_scanning_a_room_shows_the_room(client, wechat, assets_world, runtime):
    token = await bound_token(client, wechat)
    room = assets_world.places["302"]
    answer = await client.post(
        "/mp/v1/assets/scan", headers=bearer(token), json={"code": qr.room_qr_text(_base(runtime), room)}
    )
    assert answer.json() == {
        "kind": "room",
        "asset": None,
        "room": {"place_id": room, "name": "302", "full_name": "A座 3楼 302", "assets": 1},
    }


async def test_foreign_damaged_and_unknown_codes_get_clear_errors(client, wechat, assets_world, runtime):
    token = await bound_token(client, wechat)

    async def scan(code: str):
        return await client.post("/mp/v1/assets/scan", headers=bearer(token), json={"code": code})

    assert_error(await scan("https://weixin.qq.com/r/abcdef"), 422, "assets.qr_foreign")
    assert_error(await scan(f"{_base(runtime)}/q/a/ZC1"), 422, "assets.qr_invalid")
    assert_error(await scan(qr.asset_qr_text(_base(runtime), "ZC99999999")), 404, "assets.asset_not_found")
    floor = assets_world.places["A座 3楼"]
    assert_error(await scan(qr.room_qr_text(_base(runtime), floor)), 404, "assets.scan_room_not_found")
    assert (await scan("")).status_code == 422
    assert (await client.post("/mp/v1/assets/scan", json={"code": "x"})).status_code == 401


async def test_a_repair_from_a_scanned_asset_is_filed_once(client, wechat, assets_world):
    await catalog.save_team(CLI_ACTOR, "WX1", "水电班", "D0005", ["D0004"])
    water = (await catalog.save_category(CLI_ACTOR, "water", "水电", "WX1", Decimal(2), Decimal(16), False))["id"]
    token = await bound_token(client, wechat)
    pc = assets_world.assets["pc"]
    form = {"client_ref": secrets.token_hex(8), "category_id": water, "description": "显示器闪烁"}
    first = await client.post(f"/mp/v1/assets/{pc.asset_no}/repairs", headers=bearer(token), json=form)
    assert first.status_code == 201, first.text
    again = await client.post(f"/mp/v1/assets/{pc.asset_no}/repairs", headers=bearer(token), json=form)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    mine = (await client.get("/mp/v1/repairs", headers=bearer(token))).json()["items"]
    assert [(r["id"], r["location"], r["spot"]) for r in mine] == [
        (first.json()["id"], "A座 3楼 301", f"资产 {pc.asset_no} 台式计算机")
    ]
    assert await AssetRepair.filter(asset_id=pc.id).count() == 1
    missing = await client.post(
        "/mp/v1/assets/ZC99999999/repairs", headers=bearer(token), json=form | {"client_ref": "abcdefgh1"}
    )
    assert_error(missing, 404, "assets.asset_not_found")
    bad = await client.post(f"/mp/v1/assets/{pc.asset_no}/repairs", headers=bearer(token), json={"category_id": water})
    assert bad.status_code == 422
