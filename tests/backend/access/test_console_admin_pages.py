"""The security office's blacklist, staff-car and screening pages: each is refused without its
permission and offers no form to a viewer; a block is added and shown masked, then lifted; a
pending staff car is approved with its hours or refused and an approved one revoked; a unit's
quota is set; the screening form saves what it shows and shows what was saved."""

from __future__ import annotations

from datetime import datetime

from backend.access.config import AccessSettings
from backend.access.models import Block, StaffVehicle, StaffVehicleState
from backend.access.service import barrier, plates
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ
from tests.helpers import console_admin

PAGES = ("/console/access/blacklist", "/console/access/vehicles")


async def _car(world, plate: str) -> StaffVehicle:
    return await StaffVehicle.create(
        plate=plate, person_id=world.host_id, unit_id=world.host_unit_id, state=StaffVehicleState.PENDING
    )


async def test_each_page_is_refused_without_permission_and_a_viewer_gets_no_forms(client, access_world):
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in (*PAGES, "/console/access/screening"):
        assert (await client.get(path)).status_code == 403, path
    await console_admin(client, "viewer", ["access.view_access"])
    for path in PAGES:
        answer = await client.get(path)
        assert answer.status_code == 200 and 'action="/console/access/' not in answer.text, path
    assert (await client.get("/console/access/screening")).status_code == 403


async def test_a_blocked_phone_is_listed_masked_and_can_be_lifted(client, access_world):
    csrf = await console_admin(client, "security", ["access.view_access", "access.manage_blacklist"])
    added = await client.post(
        "/console/access/blacklist",
        data={"csrf_token": csrf, "kind": "phone", "value": "13912345678", "reason": "多次冒用他人身份"},
    )
    assert added.status_code == 302
    text = (await client.get("/console/access/blacklist")).text
    assert "多次冒用他人身份" in text and "13912345678" not in text
    block = await Block.get(reason="多次冒用他人身份")
    assert block.value_masked in text
    refused = await client.post(
        "/console/access/blacklist", data={"csrf_token": csrf, "kind": "nonsense", "value": "x", "reason": "y"}
    )
    assert refused.status_code == 422 and "请选择类别" in refused.text
    lifted = await client.post(f"/console/access/blacklist/{block.id}/lift", data={"csrf_token": csrf})
    assert lifted.status_code == 302 and not (await Block.get(id=block.id)).is_active


async def test_staff_cars_are_approved_with_hours_refused_revoked_and_a_quota_set(client, car_world, runtime):
    access_world = car_world
    approved, refused = await _car(access_world, "浙A12345"), await _car(access_world, "浙A54321")
    night = await _car(access_world, "浙A67890")
    csrf = await console_admin(client, "security", ["access.view_access", "access.manage_vehicles"])
    pending = (await client.get("/console/access/vehicles")).text
    assert 'data-testid="pending"' in pending and "浙A12345" in pending
    for hours in (("08:00", "08:00"), ("07:30", "25:00"), ("7点", "19:00")):
        bad = await client.post(
            f"/console/access/vehicles/{approved.id}/decide",
            data={"csrf_token": csrf, "approve": "1", "from": hours[0], "to": hours[1]},
        )
        assert bad.status_code == 422 and "允许入场时段有误" in bad.text, hours
    assert (await StaffVehicle.get(id=approved.id)).state is StaffVehicleState.PENDING
    # A window from evening to morning is night duty: it runs past midnight.
    overnight = await client.post(
        f"/console/access/vehicles/{night.id}/decide",
        data={"csrf_token": csrf, "approve": "1", "from": "19:00", "to": "07:00"},
    )
    assert overnight.status_code == 302
    night = await StaffVehicle.get(id=night.id)
    assert night.state is StaffVehicleState.APPROVED and (night.from_minute, night.to_minute) == (1140, 420)
    late = datetime(2026, 5, 6, 23, 0, tzinfo=BUSINESS_TZ)
    for event_id, at, allowed in (("n1", late, True), ("n2", late.replace(hour=12), False)):
        decision = await plates.decide_plate(
            runtime.cipher,
            AccessSettings(),
            access_world.car_gate.id,
            "浙A67890",
            plates.camera_event_no(access_world.car_gate.code, event_id),
            at,
            source_detail={"protocol": "test"},
        )
        assert decision.allowed is allowed, at
    await barrier.settle()
    assert "19:00—07:00" in (await client.get("/console/access/vehicles")).text
    ok = await client.post(
        f"/console/access/vehicles/{approved.id}/decide",
        data={"csrf_token": csrf, "approve": "1", "from": "07:30", "to": "19:00"},
    )
    assert ok.status_code == 302
    car = await StaffVehicle.get(id=approved.id)
    assert car.state is StaffVehicleState.APPROVED and (car.from_minute, car.to_minute) == (450, 1140)
    no = await client.post(
        f"/console/access/vehicles/{refused.id}/decide", data={"csrf_token": csrf, "approve": "0", "note": "非本人车辆"}
    )
    assert no.status_code == 302 and (await StaffVehicle.get(id=refused.id)).state is StaffVehicleState.REFUSED
    listed = (await client.get("/console/access/vehicles")).text
    assert "07:30—19:00" in listed
    revoked = await client.post(
        f"/console/access/vehicles/{approved.id}/revoke", data={"csrf_token": csrf, "note": "调离"}
    )
    assert revoked.status_code == 302 and (await StaffVehicle.get(id=approved.id)).state is StaffVehicleState.REVOKED
    quota = await client.post(
        "/console/access/vehicles/quotas",
        data={"csrf_token": csrf, "unit_id": str(access_world.host_unit_id), "monthly_entries": "40"},
    )
    assert quota.status_code == 302
    quotas = (await client.get("/console/access/vehicles")).text
    assert '<td class="num">40</td>' in quotas and "还没有设置额度" not in quotas
    assert await AuditEntry.filter(action="access.set_quota").exists()


async def test_the_screening_form_saves_what_it_shows_and_shows_what_was_saved(client, access_world):
    csrf = await console_admin(client, "security", ["access.manage_screening"])
    form = {
        "csrf_token": csrf,
        "enabled": "on",
        "q0": "近 14 天是否有发热症状？",
        "a0": "否",
        "q1": "是否已知晓来访须知？",
        "a1": "是",
        "m_name": "体温",
        "m_unit": "℃",
        "m_max": "37.3",
        "r0": "来访事由",
        "r1": "同行车辆",
    }
    assert (await client.post("/console/access/screening", data=form)).status_code == 302
    text = (await client.get("/console/access/screening")).text
    for value in ("近 14 天是否有发热症状？", "是否已知晓来访须知？", "体温", "37.3", "来访事由", "同行车辆"):
        assert f'value="{value}"' in text, value
    assert 'name="enabled" checked' in text
    assert '<option value="是" selected>' in text  # the second question lets in on 是
    assert await AuditEntry.filter(action="access.set_screening").exists()
