"""Upkeep records move what they should on the vehicle (odometer, service mileage, due dates),
refuse what makes no sense, and the reminders list what falls due."""

from datetime import timedelta

import pytest

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import today
from backend.fleet.models import ProviderKind, UpkeepKind, Vehicle, VehicleStatus
from backend.fleet.service import records, upkeep
from backend.fleet.service.upkeep import UpkeepDetails

ADMIN = Actor(admin_id=None, name="车管员")


async def refused(problem: str, call) -> None:
    with pytest.raises(AppError) as error:
        await call
    assert (error.value.code, error.value.status) == ("fleet.upkeep_invalid", 422)
    assert problem in error.value.message


async def test_a_maintenance_restarts_the_service_interval_and_moves_the_odometer(fleet_world):
    garage = await records.save_provider(ADMIN, None, ProviderKind.GARAGE, "定点维修中心")
    sedan = fleet_world.sedan
    done = await upkeep.record_upkeep(
        ADMIN, UpkeepDetails(sedan.id, UpkeepKind.MAINTENANCE, today(), 45000, garage["id"], odometer_km=10200)
    )
    vehicle = await Vehicle.get(id=sedan.id)
    assert (vehicle.odometer_km, vehicle.last_service_km) == (10200, 10200)
    entry = await AuditEntry.get(action="fleet.record_upkeep", object_id=str(done["id"]))
    assert (entry.after["cost_fen"], entry.after["last_service_km"]) == (45000, 10200)


async def test_a_late_maintenance_record_does_not_pull_anything_back(fleet_world):
    sedan = fleet_world.sedan
    await Vehicle.filter(id=sedan.id).update(odometer_km=20000, last_service_km=15000)
    await upkeep.record_upkeep(
        ADMIN, UpkeepDetails(sedan.id, UpkeepKind.MAINTENANCE, today() - timedelta(days=90), 30000, odometer_km=9000)
    )
    vehicle = await Vehicle.get(id=sedan.id)
    assert (vehicle.odometer_km, vehicle.last_service_km) == (20000, 15000)


async def test_an_insurance_record_moves_the_due_date(fleet_world):
    insurer = await records.save_provider(ADMIN, None, ProviderKind.INSURER, "人保财险")
    next_year = today() + timedelta(days=365)
    await upkeep.record_upkeep(
        ADMIN,
        UpkeepDetails(fleet_world.sedan.id, UpkeepKind.INSURANCE, today(), 400000, insurer["id"], next_due=next_year),
    )
    assert (await Vehicle.get(id=fleet_world.sedan.id)).insurance_due == next_year


async def test_upkeep_that_makes_no_sense_is_refused(fleet_world):
    station = await records.save_provider(ADMIN, None, ProviderKind.FUEL, "加油站")
    sedan = fleet_world.sedan.id
    await refused(
        "晚于今天", upkeep.record_upkeep(ADMIN, UpkeepDetails(sedan, UpkeepKind.FUEL, today() + timedelta(days=1), 100))
    )
    await refused("里程表读数", upkeep.record_upkeep(ADMIN, UpkeepDetails(sedan, UpkeepKind.MAINTENANCE, today(), 100)))
    await refused(
        "只有保险和年检",
        upkeep.record_upkeep(
            ADMIN, UpkeepDetails(sedan, UpkeepKind.FUEL, today(), 100, next_due=today() + timedelta(days=9))
        ),
    )
    await refused(
        "晚于办理日期",
        upkeep.record_upkeep(ADMIN, UpkeepDetails(sedan, UpkeepKind.INSPECTION, today(), 100, next_due=today())),
    )
    await refused(
        "不能登记维修",
        upkeep.record_upkeep(ADMIN, UpkeepDetails(sedan, UpkeepKind.REPAIR, today(), 100, station["id"])),
    )
    with pytest.raises(AppError) as missing:
        await upkeep.record_upkeep(ADMIN, UpkeepDetails(99999, UpkeepKind.FUEL, today(), 100))
    assert missing.value.code == "fleet.vehicle_not_found"
    assert not await AuditEntry.exists(action="fleet.record_upkeep")


async def test_reminders_list_inspection_insurance_and_service_by_km(fleet_world):
    day = today()
    sedan, business, minibus = fleet_world.sedan, fleet_world.business, fleet_world.minibus
    await Vehicle.filter(id=sedan.id).update(inspection_due=day - timedelta(days=3))
    await Vehicle.filter(id=business.id).update(insurance_due=day + timedelta(days=20))
    # 9,500 km since the service with a 10,000 km interval: within the 500 km margin
    await Vehicle.filter(id=minibus.id).update(odometer_km=19500, last_service_km=10000)
    found = {r.plate: r for r in await upkeep.due_reminders(day)}
    assert list(found) == ["浙A12345", "浙A88888", "浙AD12345"]  # the overdue one first
    assert found["浙A12345"].overdue and "逾期 3 天" in found["浙A12345"].reasons[0]
    assert not found["浙AD12345"].overdue and "还有 20 天" in found["浙AD12345"].reasons[0]
    assert "9500 公里" in found["浙A88888"].reasons[0] and found["浙A88888"].home_name == "办公室"
    # a due date beyond the window, or a car awaiting disposal, is not reminded of
    assert [r.plate for r in await upkeep.due_reminders(day, within_days=10)] == ["浙A12345", "浙A88888"]
    await records.change_status(ADMIN, sedan.id, VehicleStatus.DISPOSAL, "报废")
    assert "浙A12345" not in {r.plate for r in await upkeep.due_reminders(day)}


async def test_a_service_past_its_interval_is_overdue(fleet_world):
    await Vehicle.filter(id=fleet_world.sedan.id).update(odometer_km=21000, last_service_km=10000)
    (reminder,) = await upkeep.due_reminders(today())
    assert reminder.overdue and "超出保养间隔 1000 公里" in reminder.reasons[0]
