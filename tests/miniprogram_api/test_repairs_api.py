"""随手拍 in the mini-program: a cadre files a report with photos, a technician works it, the
reporter confirms and rates; each sees only what is theirs, and retries file nothing twice."""

import io
from datetime import timedelta

from PIL import Image

from backend.core.timeutil import now
from backend.notices import service as notices
from backend.notices.models import Notice
from backend.repairs.models import PartMovement, RepairPhoto, RepairReport, SparePart
from backend.repairs.service import uploads
from backend.runtime import make_mini_program
from tests.fixtures.repairs import file_report, upload
from tests.helpers import bearer, jpeg
from tests.helpers.cadres import bound_token


async def _tokens(client, wechat) -> tuple[str, str, str]:
    reporter = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    other = await bound_token(client, wechat, "o-wangfang", "13800000002")
    technician = await bound_token(client, wechat, "o-liuyang", "13800000004")
    return reporter, other, technician


async def test_a_report_goes_from_photo_to_rated_repair(client, wechat, repairs_world, runtime, settings):
    reporter, _, technician = await _tokens(client, wechat)
    photo = (await upload(client, reporter)).json()
    filed = await file_report(client, reporter, repairs_world.lighting, repairs_world.room, photo_ids=[photo["id"]])
    assert filed.status_code == 201, filed.text
    report_id = filed.json()["id"]
    # given the lighting category assigns automatically, the team's only technician has it
    assert filed.json()["state"] == "accepted"
    tasks = (await client.get("/mp/v1/repairs?role=technician", headers=bearer(technician))).json()
    assert [t["id"] for t in tasks["items"]] == [report_id]
    await client.post(f"/mp/v1/repairs/{report_id}/acknowledge", headers=bearer(technician))
    started = await client.post(f"/mp/v1/repairs/{report_id}/start", headers=bearer(technician))
    assert started.json()["state"] == "in_progress"
    part = await SparePart.create(code="LED-9W", name="LED 灯泡 9W", quantity=5, low_stock=2)
    after = (await upload(client, technician)).json()
    resolved = await client.post(
        f"/mp/v1/repairs/{report_id}/resolve",
        headers=bearer(technician),
        json={"note": "更换灯泡", "photo_ids": [after["id"]], "parts": [{"part_id": part.id, "quantity": 2}]},
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["parts"] == [{"part": "LED 灯泡 9W", "code": "LED-9W", "quantity": 2, "unit": "个"}]
    assert (await SparePart.get(id=part.id)).quantity == 3
    confirmed = await client.post(
        f"/mp/v1/repairs/{report_id}/confirm", headers=bearer(reporter), json={"rating": 5, "comment": "很快"}
    )
    body = confirmed.json()
    assert body["state"] == "closed" and body["rating"] == 5
    assert [e["action"] for e in body["timeline"]] == ["submit", "accept", "acknowledge", "start", "resolve", "confirm"]
    assert body["timeline"][4]["photos"][0]["id"] == after["id"]
    # the reporter was told of the steps that matter, through WeChat's subscribe messages
    sent = await notices.send_due(make_mini_program(settings), notices.template_ids(settings), now())
    assert sent["sent"] == 3 and len(wechat.state.messages) == 3
    assert {m["touser"] for m in wechat.state.messages} == {"o-zhangwei"}
    assert wechat.state.messages[0]["data"]["character_string1"]["value"] == str(report_id)


async def test_a_retried_submission_files_one_report(client, wechat, repairs_world):
    reporter, _, _ = await _tokens(client, wechat)
    body = {
        "client_ref": "form-0001-abc",
        "category_id": repairs_world.water,
        "location_id": repairs_world.room,
        "description": "水管漏水",
    }
    first = await client.post("/mp/v1/repairs", headers=bearer(reporter), json=body)
    again = await client.post("/mp/v1/repairs", headers=bearer(reporter), json=body)
    assert (first.status_code, again.status_code) == (201, 200) and first.json()["id"] == again.json()["id"]
    assert await RepairReport.all().count() == 1


async def test_photos_are_stripped_of_gps_and_served_only_to_those_involved(client, wechat, repairs_world):
    reporter, other, technician = await _tokens(client, wechat)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 15.0)}
    raw = io.BytesIO()
    Image.new("RGB", (800, 600), "white").save(raw, "JPEG", exif=exif)
    photo = (await upload(client, reporter, raw.getvalue())).json()
    await file_report(client, reporter, repairs_world.water, repairs_world.room, photo_ids=[photo["id"]])
    served = await client.get(f"/mp/v1/repairs/photos/{photo['id']}", headers=bearer(reporter))
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in served.content and not Image.open(io.BytesIO(served.content)).getexif()
    assert (await client.get(f"/mp/v1/repairs/photos/{photo['id']}", headers=bearer(other))).status_code == 404
    assert (await client.get(f"/mp/v1/repairs/photos/{photo['id']}", headers=bearer(technician))).status_code == 404


async def test_a_text_file_named_jpg_is_refused(client, wechat, repairs_world):
    reporter, _, _ = await _tokens(client, wechat)
    refused = await upload(client, reporter, b"just some text, not a photo", "leak.jpg")
    assert refused.status_code == 415 and refused.json()["error"]["code"] == "image.not_image"


async def test_a_cadre_sees_only_their_own_reports_and_a_technician_only_assigned_ones(client, wechat, repairs_world):
    reporter, other, technician = await _tokens(client, wechat)
    report_id = (await file_report(client, reporter, repairs_world.water, repairs_world.room)).json()["id"]
    assert (await client.get(f"/mp/v1/repairs/{report_id}", headers=bearer(other))).status_code == 404
    assert (await client.get("/mp/v1/repairs", headers=bearer(other))).json()["items"] == []
    # water is dispatched by hand: until then the technician does not see it
    assert (await client.get(f"/mp/v1/repairs/{report_id}", headers=bearer(technician))).status_code == 404
    refused = await client.post(f"/mp/v1/repairs/{report_id}/start", headers=bearer(technician))
    assert refused.status_code == 404
    mine = (await client.get(f"/mp/v1/repairs/{report_id}", headers=bearer(reporter))).json()
    assert mine["state"] == "submitted" and mine["actions"] == ["cancel"]


async def test_illegal_steps_are_refused_and_change_nothing(client, wechat, repairs_world):
    reporter, _, technician = await _tokens(client, wechat)
    report_id = (await file_report(client, reporter, repairs_world.lighting, repairs_world.room)).json()["id"]
    early = await client.post(f"/mp/v1/repairs/{report_id}/confirm", headers=bearer(reporter), json={"rating": 5})
    assert early.status_code == 409 and early.json()["error"]["code"] == "repairs.illegal_transition"
    not_theirs = await client.post(f"/mp/v1/repairs/{report_id}/start", headers=bearer(reporter))
    assert not_theirs.status_code == 403 and not_theirs.json()["error"]["code"] == "repairs.not_allowed"
    no_reason = await client.post(f"/mp/v1/repairs/{report_id}/cancel", headers=bearer(reporter), json={"note": ""})
    assert no_reason.status_code == 422
    assert (await RepairReport.get(id=report_id)).state.value == "accepted"


async def test_resolving_with_more_parts_than_in_stock_is_refused_whole(client, wechat, repairs_world):
    reporter, _, technician = await _tokens(client, wechat)
    report_id = (await file_report(client, reporter, repairs_world.lighting, repairs_world.room)).json()["id"]
    await client.post(f"/mp/v1/repairs/{report_id}/start", headers=bearer(technician))
    part = await SparePart.create(code="LED-9W", name="LED 灯泡 9W", quantity=1)
    refused = await client.post(
        f"/mp/v1/repairs/{report_id}/resolve",
        headers=bearer(technician),
        json={"note": "更换灯泡", "parts": [{"part_id": part.id, "quantity": 2}]},
    )
    assert refused.status_code == 409 and "库存不足" in refused.json()["error"]["message"]
    assert (await RepairReport.get(id=report_id)).state.value == "in_progress"
    assert (await SparePart.get(id=part.id)).quantity == 1 and await PartMovement.all().count() == 0


async def test_the_reporter_reopens_a_repair_that_did_not_hold(client, wechat, repairs_world):
    reporter, _, technician = await _tokens(client, wechat)
    report_id = (await file_report(client, reporter, repairs_world.lighting, repairs_world.room)).json()["id"]
    await client.post(f"/mp/v1/repairs/{report_id}/start", headers=bearer(technician))
    await client.post(f"/mp/v1/repairs/{report_id}/resolve", headers=bearer(technician), json={"note": "已修好"})
    reopened = await client.post(
        f"/mp/v1/repairs/{report_id}/reopen", headers=bearer(reporter), json={"note": "又不亮了"}
    )
    assert reopened.json()["state"] == "accepted" and reopened.json()["reopen_count"] == 1
    assert "start" not in reopened.json()["actions"]  # the reporter's view: start is the technician's


async def test_possible_duplicates_are_open_reports_of_the_same_room_and_category(client, wechat, repairs_world):
    reporter, other, _ = await _tokens(client, wechat)
    first = (await file_report(client, reporter, repairs_world.water, repairs_world.room)).json()["id"]
    await file_report(client, reporter, repairs_world.lighting, repairs_world.room)
    found = await client.get(
        f"/mp/v1/repairs/duplicates?location_id={repairs_world.room}&category_id={repairs_world.water}",
        headers=bearer(other),
    )
    assert [r["id"] for r in found.json()["items"]] == [first]


async def test_a_cadre_who_never_subscribed_is_recorded_not_retried(client, wechat, repairs_world, settings):
    reporter, _, _ = await _tokens(client, wechat)
    wechat.state.refusing_openids.add("o-zhangwei")
    await file_report(client, reporter, repairs_world.lighting, repairs_world.room)
    first = await notices.send_due(make_mini_program(settings), notices.template_ids(settings), now())
    again = await notices.send_due(make_mini_program(settings), notices.template_ids(settings), now())
    assert first["refused"] == 1 and again == {"sent": 0, "refused": 0, "retry": 0, "failed": 0}
    notice = await Notice.get()
    assert notice.state.value == "refused" and "43101" in notice.last_error and notice.attempts == 1


async def test_wechat_down_is_retried_later(client, wechat, repairs_world, settings):
    reporter, _, _ = await _tokens(client, wechat)
    await file_report(client, reporter, repairs_world.lighting, repairs_world.room)
    wechat.state.busy = True
    first = await notices.send_due(make_mini_program(settings), notices.template_ids(settings), now())
    assert first["retry"] == 1
    wechat.state.busy = False
    later = await notices.send_due(
        make_mini_program(settings), notices.template_ids(settings), now() + timedelta(minutes=5)
    )
    assert later["sent"] == 1 and len(wechat.state.messages) == 1


async def test_too_many_photos_or_someone_elses_photo_is_refused(client, wechat, repairs_world):
    reporter, other, _ = await _tokens(client, wechat)
    theirs = (await upload(client, other, jpeg(64, 64))).json()
    refused = await file_report(client, reporter, repairs_world.water, repairs_world.room, photo_ids=[theirs["id"]])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "repairs.photo_not_usable"
    ten = await file_report(client, reporter, repairs_world.water, repairs_world.room, photo_ids=list(range(1, 11)))
    assert ten.status_code == 422
    assert await RepairReport.all().count() == 0


async def test_photos_never_filed_are_purged_after_a_day(client, wechat, repairs_world, runtime):
    reporter, _, _ = await _tokens(client, wechat)
    kept = (await upload(client, reporter)).json()
    orphan = (await upload(client, reporter)).json()
    await file_report(client, reporter, repairs_world.water, repairs_world.room, photo_ids=[kept["id"]])
    stale = await RepairPhoto.get(id=orphan["id"])
    assert await uploads.purge_unattached(runtime.storage, now()) == 0
    assert await uploads.purge_unattached(runtime.storage, now() + timedelta(days=1, minutes=1)) == 1
    assert await RepairPhoto.filter(id=orphan["id"]).count() == 0
    assert not await runtime.storage.exists(stale.image_key)
    assert (await client.get(f"/mp/v1/repairs/photos/{kept['id']}", headers=bearer(reporter))).status_code == 200


async def test_the_teams_dispatcher_may_follow_a_report_and_its_photos_but_not_work_it(client, wechat, repairs_world):
    reporter, _, _ = await _tokens(client, wechat)
    dispatcher = await bound_token(client, wechat, "o-chenjing", "13800000005")
    photo = (await upload(client, reporter)).json()
    report_id = (
        await file_report(client, reporter, repairs_world.water, repairs_world.room, photo_ids=[photo["id"]])
    ).json()["id"]
    seen = await client.get(f"/mp/v1/repairs/{report_id}", headers=bearer(dispatcher))
    assert seen.status_code == 200 and seen.json()["actions"] == []
    shown = await client.get(f"/mp/v1/repairs/photos/{photo['id']}", headers=bearer(dispatcher))
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    refused = await client.post(f"/mp/v1/repairs/{report_id}/cancel", headers=bearer(dispatcher), json={"note": "试试"})
    assert refused.status_code == 403
