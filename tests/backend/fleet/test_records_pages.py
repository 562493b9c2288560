"""The fleet's records in the console: every page renders for whoever may see the fleet and is
refused to anyone else, forms write through the services (audited) and say what is wrong at the
field, and the Excel exports open."""

import io

import openpyxl
import pytest

from backend.core.models import AuditEntry
from backend.fleet.models import Driver, UpkeepRecord, Vehicle
from tests.helpers import bearer, console_admin, login, make_admin

VIEWER = ["fleet.view_fleet"]
MANAGER = ["fleet.view_fleet", "fleet.manage_fleet", "fleet.manage_upkeep"]
PAGES = (
    "/console/fleet/vehicles",
    "/console/fleet/vehicles/export.xlsx",
    "/console/fleet/drivers",
    "/console/fleet/rentals",
    "/console/fleet/upkeep",
    "/console/fleet/upkeep/export.xlsx",
    "/console/fleet/providers",
)


@pytest.mark.parametrize("path", PAGES)
async def test_a_page_renders_for_a_viewer_and_is_refused_without_the_permission(client, fleet_world, path):
    await console_admin(client, "other", ["repairs.view_report"])
    assert (await client.get(path)).status_code == 403
    await console_admin(client, "viewer", VIEWER)
    assert (await client.get(path)).status_code == 200


async def test_a_vehicle_and_a_driver_page_render_for_a_viewer_without_forms(client, fleet_world):
    await console_admin(client, "viewer", VIEWER)
    vehicle = await client.get(f"/console/fleet/vehicles/{fleet_world.sedan.id}")
    assert vehicle.status_code == 200 and "浙A12345" in vehicle.text and "变更状态" not in vehicle.text
    driver = await client.get(f"/console/fleet/drivers/{fleet_world.driver.id}")
    assert driver.status_code == 200 and "刘洋" in driver.text and "登记请假" not in driver.text
    assert (await client.get("/console/fleet/vehicles/new")).status_code == 403


async def test_a_viewer_may_not_write(client, fleet_world):
    csrf = await console_admin(client, "viewer", VIEWER)
    posted = await client.post(
        "/console/fleet/vehicles", data={"csrf_token": csrf, "plate": "浙A66666", "vehicle_type": "sedan", "seats": "5"}
    )
    assert posted.status_code == 403 and not await Vehicle.exists(plate="浙A66666")


async def test_a_manager_registers_a_vehicle_and_changes_its_status(client, fleet_world):
    csrf = await console_admin(client, "manager", MANAGER)
    created = await client.post(
        "/console/fleet/vehicles",
        data={
            "csrf_token": csrf,
            "plate": "浙a·66666",
            "vehicle_type": "sedan",
            "seats": "5",
            "home_unit_id": str(fleet_world.unit_id),
            "on_duty": "on",
            "inspection_due": "2030-01-01",
        },
    )
    assert created.status_code == 302 and created.headers["location"].endswith("?done=vehicle_created")
    vehicle = await Vehicle.get(plate="浙A66666")
    assert (vehicle.home_unit_id, vehicle.on_duty, vehicle.new_energy) == (fleet_world.unit_id, True, False)
    changed = await client.post(
        f"/console/fleet/vehicles/{vehicle.id}/status", data={"csrf_token": csrf, "status": "repair", "reason": "送修"}
    )
    assert changed.status_code == 302
    page = await client.get(changed.headers["location"])
    assert "车辆状态已变更" in page.text and "维修" in page.text
    assert await AuditEntry.exists(action="fleet.change_vehicle_status", object_id=str(vehicle.id))


async def test_a_vehicle_form_says_what_is_wrong_at_the_field(client, fleet_world):
    csrf = await console_admin(client, "manager", MANAGER)
    bad_plate = await client.post(
        "/console/fleet/vehicles", data={"csrf_token": csrf, "plate": "浙A1234", "vehicle_type": "sedan", "seats": "5"}
    )
    assert bad_plate.status_code == 422 and "车牌号“浙A1234”格式不正确" in bad_plate.text
    wrong_seats = await client.post(
        f"/console/fleet/vehicles/{fleet_world.sedan.id}/edit",
        data={"csrf_token": csrf, "plate": "浙A12345", "vehicle_type": "minibus", "seats": "5"},
    )
    assert wrong_seats.status_code == 422 and "中巴的座位数应在 10–19 之间" in wrong_seats.text


async def test_a_manager_registers_a_driver_and_a_leave(client, fleet_world):
    csrf = await console_admin(client, "manager", MANAGER)
    twice = await client.post(
        "/console/fleet/drivers",
        data={"csrf_token": csrf, "employee_no": "D0004", "licence_class": "C1", "licence_expires": "2030-01-01"},
    )
    assert twice.status_code == 422 and "该人员已登记为驾驶员" in twice.text
    created = await client.post(
        "/console/fleet/drivers",
        data={"csrf_token": csrf, "employee_no": "D0001", "licence_class": "B1", "licence_expires": "2030-01-01"},
    )
    assert created.status_code == 302
    driver = await Driver.get(person__employee_no="D0001")
    wrong = await client.post(
        f"/console/fleet/drivers/{driver.id}/leaves",
        data={"csrf_token": csrf, "starts_at": "2027-03-08T09:00", "ends_at": "2027-03-08T08:00"},
    )
    assert wrong.status_code == 422 and "请假结束时间应晚于开始时间" in wrong.text
    leave = await client.post(
        f"/console/fleet/drivers/{driver.id}/leaves",
        data={"csrf_token": csrf, "starts_at": "2027-03-08T09:00", "ends_at": "2027-03-09T18:00", "reason": "培训"},
    )
    assert leave.status_code == 302
    page = await client.get(f"/console/fleet/drivers/{driver.id}")
    assert "2027-03-08 09:00" in page.text and "培训" in page.text


async def test_rates_are_typed_in_yuan(client, fleet_world):
    csrf = await console_admin(client, "manager", MANAGER)
    saved = await client.post(
        "/console/fleet/rentals", data={"csrf_token": csrf, "name": "市汽车租赁公司", "is_active": "on"}
    )
    assert saved.status_code == 302
    page = await client.get("/console/fleet/rentals")
    assert "市汽车租赁公司" in page.text
    cost = await client.post(
        "/console/fleet/cost-rates",
        data={"csrf_token": csrf, "vehicle_type": "bus", "per_km_fen": "8.5", "overtime_per_hour_fen": "50"},
    )
    assert cost.status_code == 302
    assert "8.50" in (await client.get("/console/fleet/rentals")).text


async def test_upkeep_is_recorded_listed_and_exported(client, fleet_world):
    csrf = await console_admin(client, "manager", MANAGER)
    provider = await client.post(
        "/console/fleet/providers",
        data={"csrf_token": csrf, "kind": "garage", "name": "定点维修中心", "is_active": "on"},
    )
    assert provider.status_code == 302
    recorded = await client.post(
        "/console/fleet/upkeep",
        data={
            "csrf_token": csrf,
            "vehicle_id": str(fleet_world.sedan.id),
            "kind": "maintenance",
            "day": "2026-01-05",
            "odometer_km": "12000",
            "cost_fen": "450.5",
        },
    )
    assert recorded.status_code == 302
    assert (await UpkeepRecord.get()).cost_fen == 45050
    listed = await client.get("/console/fleet/upkeep?plate=A12345")
    assert "450.50" in listed.text and "保养" in listed.text
    exported = await client.get("/console/fleet/upkeep/export.xlsx?kind=maintenance")
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("日期", "车牌号", "类别") and rows[1][1] == "浙A12345"


async def test_the_vehicle_export_has_the_filtered_vehicles(client, fleet_world):
    await console_admin(client, "viewer", VIEWER)
    exported = await client.get("/console/fleet/vehicles/export.xlsx?home=pool")
    rows = list(openpyxl.load_workbook(io.BytesIO(exported.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["浙A12345", "浙AD12345"]


async def test_the_dashboard_shows_the_due_reminders(client, fleet_world):
    await Vehicle.filter(id=fleet_world.sedan.id).update(odometer_km=30000)
    await console_admin(client, "viewer", VIEWER)
    dashboard = await client.get("/console/")
    assert 'data-testid="fleet-reminders-card"' in dashboard.text and "浙A12345" in dashboard.text


async def test_the_admin_api_lists_vehicles_and_drivers(client, fleet_world):
    await make_admin("api", VIEWER)
    token = await login(client, "api")
    listed = (await client.get("/admin/v1/fleet/vehicles?vehicle_type=sedan", headers=bearer(token))).json()
    assert [v["plate"] for v in listed["items"]] == ["浙A12345"] and listed["total"] == 1
    one = (await client.get(f"/admin/v1/fleet/vehicles/{fleet_world.minibus.id}", headers=bearer(token))).json()
    assert (one["home_name"], one["upkeep"]) == ("办公室", [])
    drivers = (await client.get("/admin/v1/fleet/drivers", headers=bearer(token))).json()
    assert [d["name"] for d in drivers["items"]] == ["刘洋", "陈静"]
    assert (await client.get("/admin/v1/fleet/vehicles/99999", headers=bearer(token))).status_code == 404
