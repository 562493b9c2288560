"""An asset officer asks for a vacant office room in the mini-program: the units they act for,
the vacant rooms, a request filed once and followed, withdrawn by them only; other cadres see
no rooms and cannot ask."""

from backend.approvals.models import ApproverRole
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error

PHONES = {"D0001": "13800000001", "D0002": "13800000002", "D0003": "13800000003", "D0005": "13800000005"}


async def _token(client, wechat, employee_no: str) -> str:
    return await bound_token(client, wechat, f"o-{employee_no}", PHONES[employee_no])


def _form(world, **fields) -> dict:
    return {
        "client_ref": "room-req-0001",
        "place_id": world.places["303"],
        "unit_id": world.units["CZJ-BGS"],
        "reason": "新增编制人员需要办公室",
        **fields,
    }


async def test_an_officer_sees_vacant_rooms_and_asks_for_one_once(client, wechat, assets_world):
    w = assets_world
    token = await _token(client, wechat, "D0003")
    units = await client.get("/mp/v1/assets/rooms/units", headers=bearer(token))
    assert [u["code"] for u in units.json()["items"]] == ["CZJ-BGS"]
    vacant = await client.get("/mp/v1/assets/rooms/vacant", headers=bearer(token))
    assert [(r["full_name"], r["use_area"]) for r in vacant.json()["items"]] == [("A座 3楼 303", 2000)]
    first = await client.post("/mp/v1/assets/rooms/requests", headers=bearer(token), json=_form(w))
    again = await client.post("/mp/v1/assets/rooms/requests", headers=bearer(token), json=_form(w))
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["id"] == again.json()["id"] and first.json()["approval_id"]
    mine = await client.get("/mp/v1/assets/rooms/requests", headers=bearer(token))
    assert [t["room"] for t in mine.json()["items"]] == ["A座 3楼 303"]
    assert (await client.get("/mp/v1/assets/rooms/vacant", headers=bearer(token))).json()["items"] == []


async def test_a_cadre_who_is_no_officer_sees_no_rooms_and_cannot_ask(client, wechat, assets_world):
    token = await _token(client, wechat, "D0001")
    assert (await client.get("/mp/v1/assets/rooms/vacant", headers=bearer(token))).json()["items"] == []
    refused = await client.post("/mp/v1/assets/rooms/requests", headers=bearer(token), json=_form(assets_world))
    assert_error(refused, 403, "assets.not_asset_officer")


async def test_bad_input_is_refused_in_chinese(client, wechat, assets_world):
    token = await _token(client, wechat, "D0003")
    short = await client.post(
        "/mp/v1/assets/rooms/requests", headers=bearer(token), json=_form(assets_world, reason="x")
    )
    assert short.status_code == 422
    floor = _form(assets_world, place_id=assets_world.places["A座 3楼"])
    assert_error(
        await client.post("/mp/v1/assets/rooms/requests", headers=bearer(token), json=floor), 422, "places.not_a_room"
    )


async def test_only_the_requester_withdraws_a_request(client, wechat, assets_world):
    w = assets_world
    await w.approver("D0005", ApproverRole.UNIT_LEADER, "CZJ")
    token = await _token(client, wechat, "D0003")
    other = await _token(client, wechat, "D0002")
    filed = (await client.post("/mp/v1/assets/rooms/requests", headers=bearer(token), json=_form(w))).json()
    url = f"/mp/v1/assets/rooms/requests/{filed['id']}"
    assert_error(await client.get(url, headers=bearer(other)), 404, "assets.transfer_not_found")
    assert_error(await client.post(f"{url}/cancel", headers=bearer(other)), 404, "assets.transfer_not_found")
    withdrawn = await client.post(f"{url}/cancel", headers=bearer(token))
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "cancelled"
    assert_error(await client.post(f"{url}/cancel", headers=bearer(token)), 409, "assets.transfer_state")


async def test_a_room_another_unit_holds_is_refused_and_rooms_with_its_assets_are_not_offered(
    client, wechat, assets_world
):
    w = assets_world
    token = await _token(client, wechat, "D0003")
    held = _form(w, place_id=w.places["301"])
    refused = await client.post("/mp/v1/assets/rooms/requests", headers=bearer(token), json=held)
    assert_error(refused, 409, "assets.room_not_vacant")
    # a chair of CZJ's office in 303 is no obstacle for its officer; FGW's desk is
    chair = w.assets["chair"]
    chair.place_id = w.places["303"]
    await chair.save(update_fields=["place_id"])
    vacant = await client.get("/mp/v1/assets/rooms/vacant", headers=bearer(token))
    assert [r["full_name"] for r in vacant.json()["items"]] == ["A座 3楼 303"]
    desk = w.assets["desk"]
    desk.place_id = w.places["303"]
    await desk.save(update_fields=["place_id"])
    assert (await client.get("/mp/v1/assets/rooms/vacant", headers=bearer(token))).json()["items"] == []
