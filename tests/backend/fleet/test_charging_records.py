"""What the fleet gives the charging module: which official cars may be charged (in use, new
energy, found by their plate as typed) and a charging record of a car, written in the caller's
transaction."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from backend.core.errors import AppError
from backend.core.timeutil import today
from backend.fleet.models import Vehicle, VehicleStatus
from backend.fleet.service import records, upkeep


async def test_an_in_use_new_energy_car_is_chargeable_by_its_plate_as_typed(fleet_world):
    car = await records.chargeable_vehicle(" 浙ad12345 ")
    assert car == records.VehicleInfo(fleet_world.business.id, "浙AD12345", None)
    assert await records.chargeable_vehicle("浙A12345") is None  # a fuel car
    assert await records.chargeable_vehicle("浙AD99999") is None  # no such car
    sealed = {"status": VehicleStatus.SEALED, "home_unit_id": fleet_world.unit_id}
    await Vehicle.filter(id=fleet_world.business.id).update(**sealed)
    assert await records.chargeable_vehicle("浙AD12345") is None


async def test_a_stationed_car_is_chargeable_to_its_unit(fleet_world):
    await Vehicle.filter(id=fleet_world.business.id).update(home_unit_id=fleet_world.unit_id)
    assert (await records.chargeable_vehicle("浙AD12345")).home_unit_id == fleet_world.unit_id


async def test_a_plate_that_is_not_one_is_refused_in_words(fleet_world):
    with pytest.raises(AppError) as refused:
        await records.chargeable_vehicle("not a plate")
    assert refused.value.code == "fleet.plate_invalid"


async def test_a_charging_record_is_kept_with_the_callers_transaction(fleet_world):
    async with in_transaction() as conn:
        record_id = await upkeep.record_charging(conn, fleet_world.business.id, today(), 1_234, "充电桩充电 8.226 kWh")
    [entry] = await upkeep.upkeep_of(fleet_world.business.id)
    assert (entry["id"], entry["kind"], entry["cost_fen"], entry["provider_id"]) == (record_id, "charging", 1_234, None)
    assert entry["note"] == "充电桩充电 8.226 kWh"
    with pytest.raises(RuntimeError):
        async with in_transaction() as conn:
            await upkeep.record_charging(conn, fleet_world.business.id, today(), 99, "回滚")
            raise RuntimeError("the caller's bill failed")
    assert len(await upkeep.upkeep_of(fleet_world.business.id)) == 1
