"""Staff cars: a cadre registers, lists and withdraws their car in the mini-program; the gate's
staff approve it with hours (audited) or refuse or revoke it; units get monthly quotas."""

from datetime import date, datetime

import pytest

from backend.access.config import AccessSettings
from backend.access.models import StaffVehicle, StaffVehicleState
from backend.access.service import plates, vehicles
from backend.accounts.models import Person
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ
from tests.fixtures.access_c import staff_car
from tests.helpers import bearer
from tests.helpers.cadres import bound_token


async def test_cadre_registers_lists_and_withdraws_a_car_in_the_mini_program(client, wechat, car_world):
    token = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    created = await client.post(
        "/mp/v1/access/vehicles", json={"plate": "浙b·54321", "note": "通勤"}, headers=bearer(token)
    )
    assert created.status_code == 201
    assert (created.json()["plate"], created.json()["state"], created.json()["unit_id"]) == (
        "浙B54321",
        "pending",
        car_world.host_unit_id,
    )
    again = await client.post("/mp/v1/access/vehicles", json={"plate": "浙B54321"}, headers=bearer(token))
    assert (again.status_code, again.json()["error"]["code"]) == (409, "access.vehicle_registered")
    assert "54321" not in again.text
    bad = await client.post("/mp/v1/access/vehicles", json={"plate": "浙Z"}, headers=bearer(token))
    assert (bad.status_code, bad.json()["error"]["code"]) == (422, "access.plate_invalid")
    mine = await client.get("/mp/v1/access/vehicles", headers=bearer(token))
    assert [v["plate"] for v in mine.json()["items"]] == ["浙B54321"]
    vehicle_id = created.json()["id"]
    withdrawn = await client.post(f"/mp/v1/access/vehicles/{vehicle_id}/withdraw", headers=bearer(token))
    assert withdrawn.json() == {"ok": True}
    assert (await StaffVehicle.get(id=vehicle_id)).state == StaffVehicleState.REVOKED
    twice = await client.post(f"/mp/v1/access/vehicles/{vehicle_id}/withdraw", headers=bearer(token))
    assert twice.json()["error"]["code"] == "access.vehicle_state"


async def test_another_cadre_cannot_withdraw_my_car(client, wechat, car_world):
    mine = await vehicles.register(car_world.host_id, "浙B54321", "")
    other = await bound_token(client, wechat, "o-wangfang", "13800000002")
    response = await client.post(f"/mp/v1/access/vehicles/{mine['id']}/withdraw", headers=bearer(other))
    assert (response.status_code, response.json()["error"]["code"]) == (404, "access.vehicle_not_found")


async def test_staff_approve_with_hours_audited_and_refuse_bad_hours(car_world):
    registered = await vehicles.register(car_world.host_id, "浙B54321", "")
    with pytest.raises(AppError) as bad:
        await vehicles.decide(CLI_ACTOR, registered["id"], True, 600, 600, "")
    assert bad.value.code == "access.hours_invalid"
    approved = await vehicles.decide(CLI_ACTOR, registered["id"], True, 7 * 60, 20 * 60, "工作日")
    assert (approved["state"], approved["hours"], approved["person_name"]) == ("approved", "07:00–20:00", "张伟")
    entry = await AuditEntry.get(action="access.decide_vehicle")
    assert (entry.before["state"], entry.after["state"], entry.after["to_minute"]) == ("pending", "approved", 1200)
    with pytest.raises(AppError) as decided:
        await vehicles.decide(CLI_ACTOR, registered["id"], False, 0, 0, "")
    assert decided.value.code == "access.vehicle_state"
    revoked = await vehicles.revoke(CLI_ACTOR, registered["id"], "调离")
    assert revoked["state"] == "revoked"
    assert [v["state"] for v in await vehicles.list_vehicles(StaffVehicleState.REVOKED)] == ["revoked"]
    # A revoked plate may be registered again.
    assert (await vehicles.register(car_world.host_id, "浙B54321", ""))["state"] == "pending"


async def test_refusing_a_car_needs_no_hours(car_world):
    registered = await vehicles.register(car_world.host_id, "浙B54321", "")
    assert (await vehicles.decide(CLI_ACTOR, registered["id"], False, 0, 0, "非本人车辆"))["state"] == "refused"


async def test_unit_quota_is_set_audited_and_checked(car_world):
    for wrong in (-1, 100_001, True):
        with pytest.raises(AppError) as refused:
            await vehicles.set_quota(CLI_ACTOR, car_world.host_unit_id, wrong)
        assert refused.value.code == "access.quota_invalid"
    with pytest.raises(AppError) as missing:
        await vehicles.set_quota(CLI_ACTOR, 999_999, 5)
    assert missing.value.code == "access.quota_unit_not_found"
    await vehicles.set_quota(CLI_ACTOR, car_world.host_unit_id, 5)
    await vehicles.set_quota(CLI_ACTOR, car_world.host_unit_id, 8)
    entries = await AuditEntry.filter(action="access.set_quota").order_by("id")
    assert [(e.before, e.after) for e in entries] == [
        (None, {"monthly_entries": 5}),
        ({"monthly_entries": 5}, {"monthly_entries": 8}),
    ]
    assert [(q["quota"], q["used"]) for q in await vehicles.quotas(date(2026, 5, 1))] == [(8, 0)]


async def test_an_approved_car_of_someone_who_has_left_is_not_let_in(car_world, runtime):
    await staff_car(car_world.host_id, "浙B54321")
    assert (await vehicles.approved_for(None, "浙B54321")) is not None
    await Person.filter(id=car_world.host_id).update(is_active=False)
    assert await vehicles.approved_for(None, "浙B54321") is None
    at = datetime(2026, 5, 6, 12, 0, tzinfo=BUSINESS_TZ)
    event_no = plates.camera_event_no(car_world.car_gate.code, "left-1")
    decision = await plates.decide_plate(
        runtime.cipher, AccessSettings(), car_world.car_gate.id, "浙B54321", event_no, at, source_detail={}
    )
    assert (decision.allowed, decision.reason) == (False, "access.plate_unknown")
