"""The fleet's cheap check other modules make per request (a charging start for an official
car): whether a person is an active driver."""

from __future__ import annotations

from backend.fleet.models import Driver
from backend.fleet.service import records


async def test_only_an_active_drivers_person_is_an_active_driver(fleet_world):
    driver = fleet_world.driver
    assert await records.is_active_driver(driver.person_id)
    others = await Driver.exclude(id=driver.id).values_list("person_id", flat=True)
    assert not await records.is_active_driver(max([driver.person_id, *others]) + 1)  # on no driver's roster line
    await Driver.filter(id=driver.id).update(is_active=False)
    assert not await records.is_active_driver(driver.person_id)
