"""The guard post's page 门岗登记: shown to the guard and refused without the permission; a walk-in
registered through its form, a bad ID number refused at its field with nothing written; 电话确认
audited and the slip printed on the guard post's printer with its QR code; a waiting plate opened
(audited) or dismissed; the printable slip page carries the QR as inline SVG."""

from __future__ import annotations

from datetime import timedelta

from backend.access.models import (
    AccessEvent,
    EventSource,
    Gate,
    PlateAlert,
    PlateAlertState,
    Screening,
    Visit,
    VisitPass,
    VisitState,
)
from backend.access.service import barrier, slips
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ, now
from tests.fixtures.access_g import VISITOR_ID_NUMBER, VISITOR_PHONE
from tests.fixtures.access_p import ready_visit
from tests.helpers import console_admin

GUARD = ["access.view_access", "access.register_visitor"]
VIEWER = ["access.view_access"]


def walk_in_form(csrf: str, world, **changes) -> dict:
    start = now().astimezone(BUSINESS_TZ)
    form = {
        "csrf_token": csrf,
        "visitor_name": "李四",
        "id_number": VISITOR_ID_NUMBER,
        "phone": VISITOR_PHONE,
        "company": "市建设局",
        "host_id": str(world.host_id),
        "purpose": "送文件",
        "window_start": start.strftime("%Y-%m-%dT%H:%M"),
        "window_end": (start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "building_ids": str(world.building_id),
        "companions": "王五\n赵六",
        "plate": "",
    }
    return {**form, **changes}


async def test_guard_page_shows_the_form_to_the_guard_and_only_the_lists_to_a_viewer(client, access_world):
    await console_admin(client, "guard", GUARD)
    shown = await client.get("/console/access/guard?host_q=张伟")
    assert shown.status_code == 200
    assert 'data-testid="walk-in-form"' in shown.text and "张伟（D0001" in shown.text
    await client.post("/console/logout", data={"csrf_token": ""})
    client.cookies.clear()
    await console_admin(client, "viewer", VIEWER)
    viewed = await client.get("/console/access/guard")
    assert viewed.status_code == 200 and 'data-testid="walk-in-form"' not in viewed.text


async def test_guard_page_is_refused_without_access_permission(client, access_world):
    await console_admin(client, "nobody", ["charging.view_charging"])
    assert (await client.get("/console/access/guard")).status_code == 403


async def test_walk_in_with_a_bad_id_number_shows_the_chinese_error_and_writes_nothing(client, access_world):
    csrf = await console_admin(client, "guard", GUARD)
    bad = await client.post(
        "/console/access/guard/walk-ins", data=walk_in_form(csrf, access_world, id_number="110105194912310021")
    )
    assert bad.status_code == 422
    assert "身份证号码有误，请核对（含末位校验码）" in bad.text
    assert "110105194912310021" not in bad.text  # the ID number is never put back into the form
    assert await Visit.all().count() == 0
    assert await AuditEntry.filter(action="access.register_walk_in").count() == 0


async def test_viewer_cannot_register_a_walk_in(client, access_world):
    csrf = await console_admin(client, "viewer", VIEWER)
    refused = await client.post("/console/access/guard/walk-ins", data=walk_in_form(csrf, access_world))
    assert refused.status_code == 403 and await Visit.all().count() == 0


async def test_walk_in_registered_confirmed_by_phone_and_its_slip_printed_with_the_qr(client, access_world, runtime):
    csrf = await console_admin(client, "guard", GUARD)
    saved = await client.post("/console/access/guard/walk-ins", data=walk_in_form(csrf, access_world))
    assert saved.status_code == 302, saved.text
    visit = await Visit.get()
    assert visit.state is VisitState.AWAITING_HOST and visit.companions == ["王五", "赵六"]
    listed = await client.get("/console/access/guard")
    assert "李*" in listed.text and "电话确认" in listed.text
    assert VISITOR_PHONE not in listed.text and VISITOR_ID_NUMBER not in listed.text

    confirmed = await client.post(f"/console/access/guard/visits/{visit.id}/confirm", data={"csrf_token": csrf})
    assert confirmed.status_code == 302 and confirmed.headers["location"].endswith("?done=confirmed#ready")
    assert (await Visit.get(id=visit.id)).state is VisitState.READY
    entry = await AuditEntry.get(action="access.confirm_by_phone")
    assert entry.object_id == str(visit.id) and entry.actor_name == "guard"
    again = await client.post(f"/console/access/guard/visits/{visit.id}/confirm", data={"csrf_token": csrf})
    assert again.status_code == 409 and "不能电话确认" in again.text

    access_world.entry.printer_uri = "sim"
    await access_world.entry.save()
    printed = await client.post(
        f"/console/access/guard/visits/{visit.id}/print", data={"csrf_token": csrf, "gate_id": access_world.entry.id}
    )
    assert printed.status_code == 302, printed.text
    printer = slips.printer_of(access_world.entry.id)
    slip_pass = await VisitPass.get(visit_id=visit.id)
    assert printer.qr_codes == [await slips.passes.slip_token(runtime.settings.data_key, slip_pass.id)]
    text = "\n".join(printer.receipts[-1])
    assert "李*" in text and "单次有效" in text and VISITOR_PHONE not in text
    assert await AuditEntry.filter(action="access.print_slip", object_id=str(visit.id)).count() == 1

    page = await client.get(f"/console/access/guard/visits/{visit.id}/slip")
    assert page.status_code == 200 and "<svg" in page.text and "单次有效" in page.text


async def test_print_without_a_printer_says_to_use_the_web_slip(client, access_world, guard_desk):
    csrf = await console_admin(client, "guard", GUARD)
    visit_id = await guard_desk.walk_in(confirmed=True)
    answer = await client.post(
        f"/console/access/guard/visits/{visit_id}/print", data={"csrf_token": csrf, "gate_id": access_world.exit.id}
    )
    assert answer.status_code == 503 and "网页版通行条" in answer.text


async def test_waiting_plate_opened_by_the_guard_is_audited_and_another_dismissed(client, access_world, guard_desk):
    csrf = await console_admin(client, "guard", GUARD)
    opened_id, dismissed_id = await guard_desk.plate_waiting(), await guard_desk.plate_waiting()
    shown = await client.get("/console/access/guard")
    assert "浙B***21" in shown.text and "浙B54321" not in shown.text and "开闸" in shown.text
    opened = await client.post(f"/console/access/guard/plate-alerts/{opened_id}/open", data={"csrf_token": csrf})
    assert opened.status_code == 302 and "done=opened#" in opened.headers["location"]
    await barrier.settle()
    dismissed = await client.post(
        f"/console/access/guard/plate-alerts/{dismissed_id}/dismiss", data={"csrf_token": csrf}
    )
    assert dismissed.status_code == 302
    assert (await PlateAlert.get(id=opened_id)).state is PlateAlertState.OPENED
    assert (await PlateAlert.get(id=dismissed_id)).state is PlateAlertState.DISMISSED
    assert await AuditEntry.filter(action="access.open_barrier", object_id=str(opened_id)).count() == 1
    event = await AccessEvent.get(event_no=f"GUARD-ALERT-{opened_id}")
    assert (event.allowed, event.source, event.plate_masked) == (True, EventSource.GUARD, "浙B***21")
    after = (await client.get("/console/access/guard")).text
    assert "浙B***21" not in after and "没有等待处理的车辆" in after


async def test_a_barrier_that_does_not_answer_is_told_to_the_guard(client, access_world, guard_desk):
    csrf = await console_admin(client, "guard", GUARD)
    await Gate.filter(id=access_world.car_gate.id).update(relay_uri="")
    alert_id = await guard_desk.plate_waiting()
    opened = await client.post(f"/console/access/guard/plate-alerts/{alert_id}/open", data={"csrf_token": csrf})
    assert opened.status_code == 302 and "done=opened_unanswered" in opened.headers["location"]
    assert (await PlateAlert.get(id=alert_id)).state is PlateAlertState.OPENED
    told = (await client.get("/console/access/guard?done=opened_unanswered")).text
    assert "道闸没有响应" in told and "alert-error" in told


async def test_screening_fields_shown_when_on_and_a_failed_answer_writes_nothing(client, access_world):
    await Screening.create(
        enabled=True,
        questions=[{"text": "近14天是否到过中高风险地区", "allowed_answer": "否"}],
        measurement={"name": "体温", "unit": "℃", "max": 37.3},
        registrations=["健康码"],
    )
    csrf = await console_admin(client, "guard", GUARD)
    shown = await client.get("/console/access/guard")
    assert 'data-testid="screening"' in shown.text
    assert "近14天是否到过中高风险地区" in shown.text and "体温" in shown.text
    failed = await client.post(
        "/console/access/guard/walk-ins",
        data=walk_in_form(csrf, access_world, q0="否", measurement="38.2", r0="绿码"),
    )
    assert failed.status_code == 409 and "入场筛查未通过" in failed.text
    assert await Visit.all().count() == 0
    passed = await client.post(
        "/console/access/guard/walk-ins",
        data=walk_in_form(csrf, access_world, q0="否", measurement="36.6", r0="绿码"),
    )
    assert passed.status_code == 302
    assert (await Visit.get()).screening is not None


async def test_visitors_signed_out_by_last_nights_day_end_are_listed_the_next_morning(client, access_world, runtime):
    last_night = await ready_visit(runtime, access_world, code="V-NIGHT", state=VisitState.NOT_SIGNED_OUT)
    long_ago = await ready_visit(runtime, access_world, code="V-OLD", state=VisitState.NOT_SIGNED_OUT)
    await Visit.filter(id=last_night.id).update(left_at=now() - timedelta(hours=10))
    await Visit.filter(id=long_ago.id).update(left_at=now() - timedelta(hours=30))
    await console_admin(client, "guard-morning", GUARD)
    listed = (await client.get("/console/access/guard")).text
    assert "未签离访客（近 24 小时自动签离，1）" in listed
