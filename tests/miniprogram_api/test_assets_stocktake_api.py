"""A checker's stock-take in the mini-program, over HTTP: their open tasks, a room entered by its
QR code, labels scanned once each (another system's label recorded as a find), the room
submitted, and everyone else refused."""

from __future__ import annotations

from backend.assets.models import StocktakeScan
from backend.assets.service import qr, stocktakes
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import now
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error

BASE = "http://localhost:8000"


async def checker_and_task(client, wechat, world) -> tuple[dict, dict]:
    task = await stocktakes.open_task(
        CLI_ACTOR, Scope.EVERYTHING, "A座年度盘点", None, world.places["A座"], ["D0002"], now()
    )
    token = await bound_token(client, wechat, "o-wangfang", "13800000002")
    return bearer(token), task


async def test_a_checker_enters_a_room_scans_its_labels_and_submits_it(client, wechat, assets_world):
    world, a = assets_world, assets_world.assets
    me, task = await checker_and_task(client, wechat, world)
    [listed] = (await client.get("/mp/v1/assets/stocktakes", headers=me)).json()["items"]
    assert (listed["id"], listed["rooms"], listed["rooms_checked"]) == (task["id"], 4, 0)

    room_code = qr.room_qr_text(BASE, world.places["301"])
    entered = await client.post(f"/mp/v1/assets/stocktakes/{task['id']}/room", json={"code": room_code}, headers=me)
    room = entered.json()
    assert entered.status_code == 200 and room["place_name"] == "A座 3楼 301"
    assert sorted(x["name"] for x in room["expected"]) == ["办公桌", "台式计算机"] and room["scanned_count"] == 0
    assert "original_value_fen" not in str(room) and "custodian" not in str(room)

    scans = f"/mp/v1/assets/stocktakes/{task['id']}/rooms/{world.places['301']}/scans"
    pc = await client.post(scans, json={"code": qr.asset_qr_text(BASE, a["pc"].asset_no)}, headers=me)
    assert pc.status_code == 200 and pc.json()["result"] == "expected" and pc.json()["room"]["scanned_count"] == 1
    foreign = {"code": "HW-ASSET-000123"}
    first = (await client.post(scans, json=foreign, headers=me)).json()
    again = (await client.post(scans, json=foreign, headers=me)).json()
    assert (first["result"], first["replayed"], again["replayed"]) == ("unknown", False, True)
    assert await StocktakeScan.filter(stocktake_id=task["id"]).count() == 2

    submit = f"/mp/v1/assets/stocktakes/{task['id']}/rooms/{world.places['301']}/submit"
    done = (await client.post(submit, headers=me)).json()
    assert done["submitted"] and done["checked_by"] == "王芳"
    assert_error(
        await client.post(scans, json={"code": qr.asset_qr_text(BASE, a["desk"].asset_no)}, headers=me),
        409,
        "assets.room_already_submitted",
    )
    [listed] = (await client.get("/mp/v1/assets/stocktakes", headers=me)).json()["items"]
    assert listed["rooms_checked"] == 1


async def test_someone_who_is_not_a_checker_cannot_see_or_scan_the_task(client, wechat, assets_world):
    world, a = assets_world, assets_world.assets
    _, task = await checker_and_task(client, wechat, world)
    other = bearer(await bound_token(client, wechat, "o-zhangwei", "13800000001"))
    assert (await client.get("/mp/v1/assets/stocktakes", headers=other)).json()["items"] == []
    room = f"/mp/v1/assets/stocktakes/{task['id']}/rooms/{world.places['301']}"
    assert_error(await client.get(room, headers=other), 403, "assets.not_stocktake_checker")
    code = {"code": qr.asset_qr_text(BASE, a["pc"].asset_no)}
    assert_error(await client.post(f"{room}/scans", json=code, headers=other), 403, "assets.not_stocktake_checker")
    assert_error(await client.post(f"{room}/submit", headers=other), 403, "assets.not_stocktake_checker")
    assert (await client.post(f"{room}/scans", json=code)).status_code == 401
    assert await StocktakeScan.all().count() == 0


async def test_a_closed_task_refuses_scans_and_a_bad_code_is_a_clear_error(client, wechat, assets_world):
    world, a = assets_world, assets_world.assets
    me, task = await checker_and_task(client, wechat, world)
    scans = f"/mp/v1/assets/stocktakes/{task['id']}/rooms/{world.places['301']}/scans"
    assert_error(await client.post(scans, json={"code": f"{BASE}/q/a/ZC1"}, headers=me), 422, "assets.qr_invalid")
    assert_error(await client.post(scans, json={"code": ""}, headers=me), 422, "common.invalid_input")
    enter = f"/mp/v1/assets/stocktakes/{task['id']}/room"
    assert_error(await client.post(enter, json={"code": "HW-1"}, headers=me), 422, "assets.qr_foreign")
    await stocktakes.close(CLI_ACTOR, Scope.EVERYTHING, task["id"], now())
    code = {"code": qr.asset_qr_text(BASE, a["pc"].asset_no)}
    assert_error(await client.post(scans, json=code, headers=me), 409, "assets.stocktake_closed")
    assert (await client.get("/mp/v1/assets/stocktakes", headers=me)).json()["items"] == []
