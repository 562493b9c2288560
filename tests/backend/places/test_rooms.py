"""Rooms in the office-space register, as other modules keep them through the places service:
areas in hundredths of m², use, holding unit, occupants with their grade."""

from datetime import date, timedelta

import pytest
from tortoise.transactions import in_transaction

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import today
from backend.places import service as places
from backend.places.models import PlaceOccupant, RoomFacts
from tests.fixtures.assets import make_room
from tests.helpers.queries import recorded_queries


async def _error(call) -> str:
    with pytest.raises(AppError) as raised:
        await call
    return raised.value.code


async def test_a_room_is_registered_corrected_and_audited_in_square_metres(assets_world):
    w = assets_world
    done = await places.set_room_facts(
        None, CLI_ACTOR, w.places["303"], 2150, 2800, places.RoomUse.OFFICE, w.units["CZJ-BGS"]
    )
    assert (done["use_area"], done["building_area"], done["unit_id"]) == (2150, 2800, w.units["CZJ-BGS"])
    facts = await RoomFacts.get(place_id=w.places["303"])
    assert (facts.use_area_hundredths, facts.room_use) == (2150, places.RoomUse.OFFICE)
    entry = await AuditEntry.filter(action="places.set_room_facts").order_by("-id").first()
    assert entry.before["use_area"] == "20.00 m²" and entry.before["unit"] == "（空置）"
    assert entry.after["use_area"] == "21.50 m²"


async def test_bad_areas_a_floor_and_a_disabled_unit_are_refused_and_change_nothing(assets_world):
    w = assets_world
    room, office = w.places["303"], places.RoomUse.OFFICE
    assert await _error(places.set_room_facts(None, CLI_ACTOR, room, 0, None, office, None)) == "places.area_invalid"
    assert await _error(places.set_room_facts(None, CLI_ACTOR, room, -5, None, office, None)) == "places.area_invalid"
    # a building area smaller than the use area is a typing error
    assert await _error(places.set_room_facts(None, CLI_ACTOR, room, 2000, 1000, office, None)) == "places.area_invalid"
    floor = w.places["A座 3楼"]
    assert await _error(places.set_room_facts(None, CLI_ACTOR, floor, 2000, None, office, None)) == "places.not_a_room"
    assert (
        await _error(places.set_room_facts(None, CLI_ACTOR, room, 2000, None, office, 999_999)) == "places.unit_invalid"
    )
    assert (await RoomFacts.get(place_id=room)).use_area_hundredths == 2000


async def test_occupants_are_added_once_with_their_grade_and_removed(assets_world):
    w = assets_world
    room = w.places["303"]
    await places.add_occupant(
        None, CLI_ACTOR, room, w.people["D0005"], places.OfficeGrade.BUREAU_DEPUTY, date(2026, 1, 5)
    )
    again = places.add_occupant(
        None, CLI_ACTOR, room, w.people["D0005"], places.OfficeGrade.BELOW_BUREAU, date(2026, 1, 5)
    )
    assert await _error(again) == "places.occupant_exists"
    found = (await places.room_facts([room]))[room]
    assert [(o["name"], o["grade_label"]) for o in found["occupants"]] == [("陈静", "局级副职")]
    await places.remove_occupant(None, CLI_ACTOR, room, w.people["D0005"])
    assert not await PlaceOccupant.exists(place_id=room)
    assert await _error(places.remove_occupant(None, CLI_ACTOR, room, w.people["D0005"])) == "places.occupant_not_found"
    actions = await AuditEntry.filter(object_type="place", object_id=str(room)).values_list("action", flat=True)
    assert {"places.add_occupant", "places.remove_occupant"} <= set(actions)


async def test_rooms_are_listed_by_holding_unit_building_and_vacancy(assets_world):
    w = assets_world
    held = await places.rooms([w.units["FGW-BGS"]])
    assert [r["name"] for r in held] == ["301"]
    assert held[0]["occupants"][0]["employee_no"] == "D0001"
    assert [r["name"] for r in await places.rooms(vacant_only=True)] == ["303"]
    every = await places.rooms(building_id=w.places["A座"])
    assert [r["full_name"] for r in every] == ["A座 1楼 101", "A座 3楼 301", "A座 3楼 302", "A座 3楼 303"]


async def test_a_room_given_to_another_unit_says_who_held_it(assets_world):
    w = assets_world
    async with in_transaction() as conn:
        before = await places.set_room_unit(conn, w.places["301"], w.units["CZJ-BGS"])
    assert before == w.units["FGW-BGS"]
    assert (await places.room_facts([w.places["301"]]))[w.places["301"]]["unit_id"] == w.units["CZJ-BGS"]


async def test_ensure_room_creates_only_the_missing_places(assets_world):
    w = assets_world
    async with in_transaction() as conn:
        existing, created_existing = await places.ensure_room(conn, CLI_ACTOR, "A座", "3楼", "301")
        new, created_new = await places.ensure_room(conn, CLI_ACTOR, "B座", "2楼", "201")
    assert (existing, created_existing) == (w.places["301"], False)
    assert created_new and (await places.active_place(new))["full_name"] == "B座 2楼 201"


async def test_a_person_works_in_one_office_room_at_most(assets_world):
    """张伟 (D0001) works in office 301: a second office is refused, however it would come about
    (added to an office, or a room he is in made an office); a room of another use is fine."""
    w = assets_world
    grade, since = places.OfficeGrade.BUREAU_CHIEF, date(2026, 1, 5)
    second = places.add_occupant(None, CLI_ACTOR, w.places["303"], w.people["D0001"], grade, since)
    with pytest.raises(AppError) as refused:
        await second
    assert refused.value.code == "places.occupant_has_office"
    assert "A座 3楼 301" in refused.value.message and "张伟" in refused.value.message
    assert not await PlaceOccupant.exists(place_id=w.places["303"])

    # 101 is an ancillary room: registering him there too is allowed ...
    await places.add_occupant(None, CLI_ACTOR, w.places["101"], w.people["D0001"], grade, since)
    # ... but it cannot then become his second office
    made_office = places.set_room_facts(None, CLI_ACTOR, w.places["101"], 2400, None, places.RoomUse.OFFICE, None)
    assert await _error(made_office) == "places.occupant_has_office"
    assert (await RoomFacts.get(place_id=w.places["101"])).room_use == places.RoomUse.ANCILLARY

    # once he leaves 301, 303 can be his office
    await places.remove_occupant(None, CLI_ACTOR, w.places["301"], w.people["D0001"])
    await places.add_occupant(None, CLI_ACTOR, w.places["303"], w.people["D0001"], grade, since)
    assert await PlaceOccupant.exists(place_id=w.places["303"], person_id=w.people["D0001"])


async def test_an_occupant_cannot_be_registered_from_a_day_after_today(assets_world):
    w = assets_world
    tomorrow = today() + timedelta(days=1)
    grade = places.OfficeGrade.BELOW_BUREAU
    late = places.add_occupant(None, CLI_ACTOR, w.places["303"], w.people["D0005"], grade, tomorrow)
    assert await _error(late) == "places.since_in_future"
    await places.add_occupant(None, CLI_ACTOR, w.places["303"], w.people["D0005"], grade, today())
    assert await PlaceOccupant.exists(place_id=w.places["303"], person_id=w.people["D0005"])


async def test_listing_rooms_sends_no_list_of_every_rooms_id(assets_world):
    """However many rooms there are, the rooms, their facts and occupants are read through a
    subquery: no statement carries a parameter per room (SQLite allows 32,766 of them)."""
    w = assets_world
    for n in range(40):
        await make_room(w.places["A座 3楼"], f"4{n:02d}", 2000, places.RoomUse.OFFICE, w.units["FGW-BGS"])
    with recorded_queries() as executed:
        held = await places.rooms([w.units["FGW-BGS"]])
        every = await places.rooms()
    assert (len(held), len(every)) == (41, 44)
    assert held[0]["occupants"][0]["employee_no"] == "D0001"
    assert max(len(values) + query.count(",") for query, values in executed) < 40, executed
