"""The one-office rule under real concurrency on PostgreSQL: one person added at once to several
office rooms ends up in exactly one of them (the person's row is locked before the check)."""

from __future__ import annotations

import asyncio
from datetime import date

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.places import service as places
from backend.places.models import PlaceOccupant
from tests.fixtures.assets import make_room


async def test_one_person_added_to_several_offices_at_once_gets_exactly_one(
    assets_world, requires_postgres, monkeypatch
):
    w = assets_world
    create = PlaceOccupant.create

    async def slow_create(*args, **kwargs):
        # Every attempt has made its check before the first one writes, unless they queue.
        await asyncio.sleep(0.2)
        return await create(*args, **kwargs)

    monkeypatch.setattr(PlaceOccupant, "create", slow_create)
    rooms = [w.places["303"]] + [
        await make_room(w.places["A座 3楼"], f"3{n}", 2000, places.RoomUse.OFFICE, None) for n in range(10, 15)
    ]
    results = await asyncio.gather(
        *(
            places.add_occupant(
                None, CLI_ACTOR, room, w.people["D0005"], places.OfficeGrade.BUREAU_CHIEF, date(2026, 1, 5)
            )
            for room in rooms
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(refused) == len(rooms) - 1, results
    assert {r.code for r in refused} == {"places.occupant_has_office"}
    assert await PlaceOccupant.filter(person_id=w.people["D0005"]).count() == 1
