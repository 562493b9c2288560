"""Room requests under real concurrency on PostgreSQL: officers of several units asking for the
same vacant room at once file exactly one request (the others are told it is being asked for),
and one request sent many times at once files it once."""

from __future__ import annotations

import asyncio

from backend.assets.models import AssetOfficer, RoomTransfer
from backend.assets.service import transfers
from backend.core.errors import AppError
from backend.core.timeutil import now

UNITS = ("FGW-BGS", "FGW-GHC", "CZJ-BGS", "CZJ", "FGW")


async def test_units_asking_for_the_same_room_at_once_file_exactly_one_request(assets_world, requires_postgres):
    w, at = assets_world, now()
    # D0005 is made an officer of every unit: one person per unit would need a roster this size.
    for code in UNITS:
        await AssetOfficer.get_or_create(person_id=w.people["D0005"], unit_id=w.units[code])

    results = await asyncio.gather(
        *(
            transfers.request(w.people["D0005"], f"race-{code}", w.places["303"], w.units[code], "扩编需要用房", at)
            for code in UNITS
        ),
        return_exceptions=True,
    )

    filed = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert (len(filed), len(refused)) == (1, len(UNITS) - 1), results
    assert {r.code for r in refused} == {"assets.transfer_pending"}
    assert await RoomTransfer.filter(place_id=w.places["303"]).count() == 1


async def test_one_request_sent_many_times_at_once_is_filed_once(assets_world, requires_postgres):
    w, at = assets_world, now()
    results = await asyncio.gather(
        *(
            transfers.request(w.people["D0003"], "same-ref-01", w.places["303"], w.units["CZJ-BGS"], "扩编需要用房", at)
            for _ in range(10)
        ),
        return_exceptions=True,
    )
    assert all(isinstance(r, tuple) for r in results), results
    assert len({r[0]["id"] for r in results}) == 1 and sum(r[1] for r in results) == 1
    assert await RoomTransfer.all().count() == 1
