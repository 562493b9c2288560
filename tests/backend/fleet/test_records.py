"""The fleet's records: vehicles (plate, seats by type, green plates are new-energy, odometer
never backwards, audited status changes), drivers (a roster person once, licence fit), leaves,
rental companies and rates, cost rates and providers."""

from datetime import date, timedelta

import pytest

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import today
from backend.fleet.models import (
    LicenceClass,
    ProviderKind,
    RentalRate,
    Vehicle,
    VehicleStatus,
    VehicleType,
)
from backend.fleet.service import records
from backend.fleet.service.records import CompanyDetails, VehicleDetails, licence_fits
from tests.fixtures.fleet import MONDAY

ADMIN = Actor(admin_id=None, name="车管员")
FAR = date(2030, 1, 1)


async def refused(code: str, status: int, call) -> AppError:
    with pytest.raises(AppError) as error:
        await call
    assert (error.value.code, error.value.status) == (code, status)
    return error.value


async def test_a_vehicle_is_registered_with_its_plate_normalised_and_audited(fleet_world):
    created = await records.create_vehicle(
        ADMIN,
        VehicleDetails(plate=" 浙b·12345", vehicle_type=VehicleType.SEDAN, seats=5, odometer_km=1200),
    )
    assert (created["plate"], created["home_name"], created["status"], created["last_service_km"]) == (
        "浙B12345",
        "集中管理",
        "in_use",
        1200,
    )
    entry = await AuditEntry.get(action="fleet.create_vehicle", object_id=str(created["id"]))
    assert entry.after["plate"] == "浙B12345" and entry.actor_name == "车管员"


async def test_a_green_plate_makes_the_vehicle_new_energy(fleet_world):
    created = await records.create_vehicle(
        ADMIN, VehicleDetails(plate="浙AF54321", vehicle_type=VehicleType.SEDAN, seats=5, new_energy=False)
    )
    assert created["new_energy"] is True


async def test_a_vehicle_stationed_at_a_unit_is_named_by_it(fleet_world):
    created = await records.create_vehicle(
        ADMIN,
        VehicleDetails(plate="浙A22222", vehicle_type=VehicleType.SEDAN, seats=5, home_unit_id=fleet_world.unit_id),
    )
    assert created["home_name"] == "办公室"
    await refused(
        "fleet.unit_not_found",
        404,
        records.create_vehicle(
            ADMIN, VehicleDetails(plate="浙A22223", vehicle_type=VehicleType.SEDAN, seats=5, home_unit_id=99999)
        ),
    )


async def test_a_taken_or_malformed_plate_is_refused(fleet_world):
    await refused(
        "fleet.plate_taken",
        409,
        records.create_vehicle(ADMIN, VehicleDetails(plate="浙a12345", vehicle_type=VehicleType.SEDAN, seats=5)),
    )
    await refused(
        "fleet.plate_invalid",
        422,
        records.create_vehicle(ADMIN, VehicleDetails(plate="浙A1234", vehicle_type=VehicleType.SEDAN, seats=5)),
    )


@pytest.mark.parametrize(
    ("kind", "seats"),
    [(VehicleType.SEDAN, 9), (VehicleType.MINIBUS, 25), (VehicleType.BUS, 12), (VehicleType.BUSINESS, 4)],
)
async def test_seats_outside_the_range_of_the_type_are_refused(fleet_world, kind, seats):
    error = await refused(
        "fleet.seats_for_type",
        422,
        records.create_vehicle(ADMIN, VehicleDetails(plate="浙A77777", vehicle_type=kind, seats=seats)),
    )
    assert kind.label in error.message
    assert not await Vehicle.exists(plate="浙A77777")


async def test_an_edit_may_not_turn_the_odometer_back(fleet_world):
    sedan = fleet_world.sedan
    await Vehicle.filter(id=sedan.id).update(odometer_km=5000)
    details = VehicleDetails(plate="浙A12345", vehicle_type=VehicleType.SEDAN, seats=5, odometer_km=4999)
    error = await refused("fleet.odometer_backwards", 422, records.update_vehicle(ADMIN, sedan.id, details))
    assert "4999" in error.message and "5000" in error.message
    saved = await records.update_vehicle(
        ADMIN, sedan.id, VehicleDetails(plate="浙A12345", vehicle_type=VehicleType.SEDAN, seats=4, odometer_km=5100)
    )
    assert (saved["seats"], saved["odometer_km"]) == (4, 5100)
    entry = await AuditEntry.get(action="fleet.update_vehicle", object_id=str(sedan.id))
    assert (entry.before["seats"], entry.after["seats"]) == (5, 4)


async def test_an_edit_may_not_take_another_vehicles_plate(fleet_world):
    details = VehicleDetails(plate="浙AD12345", vehicle_type=VehicleType.SEDAN, seats=5)
    await refused("fleet.plate_taken", 409, records.update_vehicle(ADMIN, fleet_world.sedan.id, details))


async def test_a_status_change_is_audited_with_its_reason(fleet_world):
    changed = await records.change_status(ADMIN, fleet_world.sedan.id, VehicleStatus.SEALED, "节日封存")
    assert changed["status_label"] == "封存"
    entry = await AuditEntry.get(action="fleet.change_vehicle_status")
    assert (entry.before["status"], entry.after["status"], entry.after["reason"]) == ("in_use", "sealed", "节日封存")
    await refused("fleet.vehicle_not_found", 404, records.change_status(ADMIN, 99999, VehicleStatus.REPAIR, "送修"))


async def test_vehicles_are_filtered_by_type_status_home_and_plate(fleet_world):
    async def plates(**filters):
        return sorted(await records.vehicles_query(filters).values_list("plate", flat=True))

    assert await plates(vehicle_type="minibus") == ["浙A88888"]
    assert await plates(home="pool") == ["浙A12345", "浙AD12345"]
    assert await plates(home=str(fleet_world.other_unit_id)) == ["浙A88888"]
    assert await plates(plate="ad") == ["浙AD12345"]
    await records.change_status(ADMIN, fleet_world.sedan.id, VehicleStatus.REPAIR, "送修")
    assert await plates(status="repair") == ["浙A12345"]


@pytest.mark.parametrize(
    ("licence", "kind", "seats", "fits"),
    [
        (LicenceClass.C1, VehicleType.SEDAN, 5, True),
        (LicenceClass.C2, VehicleType.BUSINESS, 7, True),
        (LicenceClass.C1, VehicleType.OFF_ROAD, 5, True),
        (LicenceClass.C1, VehicleType.MINIBUS, 19, False),
        (LicenceClass.B1, VehicleType.MINIBUS, 19, True),
        (LicenceClass.A1, VehicleType.MINIBUS, 12, True),
        (LicenceClass.B2, VehicleType.MINIBUS, 12, False),
        (LicenceClass.B1, VehicleType.BUS, 45, False),
        (LicenceClass.A1, VehicleType.BUS, 45, True),
        (LicenceClass.C1, VehicleType.SPECIAL, 5, False),
        (LicenceClass.B2, VehicleType.SPECIAL, 5, True),
        (LicenceClass.B2, VehicleType.SPECIAL, 30, False),
    ],
)
def test_a_licence_fits_the_vehicles_its_class_may_drive(licence, kind, seats, fits):
    assert licence_fits(licence, kind, seats) is fits


async def test_a_roster_person_becomes_a_driver_once(fleet_world):
    created = await records.create_driver(ADMIN, "D0001", LicenceClass.C1, FAR)
    assert (created["name"], created["licence_class_label"]) == ("张伟", "C1（小型汽车）")
    assert await AuditEntry.exists(action="fleet.create_driver", object_id=str(created["id"]))
    await refused("fleet.driver_exists", 409, records.create_driver(ADMIN, "D0001", LicenceClass.B1, FAR))
    await refused("accounts.person_not_found", 404, records.create_driver(ADMIN, "X9999", LicenceClass.C1, FAR))
    error = await refused(
        "fleet.licence_expired",
        409,
        records.create_driver(ADMIN, "D0002", LicenceClass.C1, today() - timedelta(days=1)),
    )
    assert "王芳" in error.message


async def test_a_driver_is_deactivated_and_drops_out_of_the_active_list(fleet_world):
    driver = fleet_world.driver
    updated = await records.update_driver(ADMIN, driver.id, LicenceClass.B1, FAR, is_active=False)
    assert (updated["licence_class"], updated["is_active"]) == ("B1", False)
    assert [d["employee_no"] for d in await records.list_drivers(active_only=True)] == ["D0005"]
    entry = await AuditEntry.get(action="fleet.update_driver", object_id=str(driver.id))
    assert (entry.before["is_active"], entry.after["is_active"]) == (True, False)


async def test_a_leave_window_must_end_after_it_starts(fleet_world):
    driver = fleet_world.driver
    await refused("fleet.leave_window_invalid", 422, records.add_leave(ADMIN, driver.id, MONDAY, MONDAY, "年休假"))
    leave = await records.add_leave(ADMIN, driver.id, MONDAY, MONDAY + timedelta(days=2), "年休假")
    assert await records.leave_overlapping(driver.id, MONDAY + timedelta(days=1), MONDAY + timedelta(days=3))
    # half-open: a trip starting as the leave ends is free of it
    assert await records.leave_overlapping(driver.id, MONDAY + timedelta(days=2), MONDAY + timedelta(days=3)) is None
    await records.remove_leave(ADMIN, driver.id, leave["id"])
    assert await records.leaves_of(driver.id) == []
    assert await AuditEntry.exists(action="fleet.remove_driver_leave", object_id=str(driver.id))
    await refused("fleet.leave_not_found", 404, records.remove_leave(ADMIN, driver.id, leave["id"]))


async def test_rental_companies_have_one_rate_per_vehicle_type(fleet_world):
    company = await records.save_company(ADMIN, None, CompanyDetails("市汽车租赁公司"))
    await refused("fleet.company_name_taken", 409, records.save_company(ADMIN, None, CompanyDetails("市汽车租赁公司")))
    await records.save_rental_rate(ADMIN, company["id"], VehicleType.SEDAN, 30000, 0)
    await records.save_rental_rate(ADMIN, company["id"], VehicleType.SEDAN, 32000, 100)
    assert await RentalRate.filter(company_id=company["id"]).count() == 1
    assert (await records.rental_rate(company["id"], VehicleType.SEDAN))["per_day_fen"] == 32000
    await refused("fleet.no_rental_rate", 409, records.rental_rate(company["id"], VehicleType.BUS))
    await refused("fleet.rate_invalid", 422, records.save_rental_rate(ADMIN, company["id"], VehicleType.BUS, -1, 0))
    await refused("fleet.company_not_found", 404, records.save_rental_rate(ADMIN, 99999, VehicleType.BUS, 1, 0))
    assert await AuditEntry.filter(action="fleet.save_rental_rate").count() == 2


async def test_a_cost_rate_is_set_and_changed_per_type(fleet_world):
    changed = await records.save_cost_rate(ADMIN, VehicleType.SEDAN, 180, 3500)
    assert (changed["per_km_fen"], (await records.cost_rate(VehicleType.SEDAN))["per_km_fen"]) == (180, 180)
    assert await records.cost_rate(VehicleType.BUS) is None
    await refused("fleet.rate_invalid", 422, records.save_cost_rate(ADMIN, VehicleType.BUS, 100, -5))
    entry = await AuditEntry.get(action="fleet.save_cost_rate")
    assert (entry.before["per_km_fen"], entry.after["per_km_fen"]) == (150, 180)


async def test_a_provider_name_is_unique_within_its_kind(fleet_world):
    await records.save_provider(ADMIN, None, ProviderKind.GARAGE, "定点维修中心")
    await records.save_provider(ADMIN, None, ProviderKind.FUEL, "定点维修中心")
    await refused(
        "fleet.provider_name_taken", 409, records.save_provider(ADMIN, None, ProviderKind.GARAGE, "定点维修中心")
    )
    assert await AuditEntry.filter(action="fleet.save_provider").count() == 2
