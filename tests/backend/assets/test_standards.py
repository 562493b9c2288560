"""The office-space area standard: national defaults for city-level bodies, the bureau's own
values, each office room checked against the sum of its occupants' standards, and the per-unit
totals of space per person."""

from datetime import date

import pytest

from backend.accounts.service import people
from backend.assets.service import standards
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.places import service as places
from backend.places.models import PlaceOccupant, RoomFacts
from tests.helpers.queries import recorded_queries


async def test_the_national_standard_applies_until_the_bureau_sets_its_own(assets_world):
    table = {row["grade"]: row for row in await standards.table()}
    assert [table[g]["per_person"] for g in ("city_chief", "city_deputy", "bureau_chief")] == [4200, 3000, 2400]
    assert (table["bureau_deputy"]["per_person"], table["below_bureau"]["per_person"]) == (1800, 900)
    await standards.set_standard(CLI_ACTOR, "below_bureau", 1200)
    assert (await standards.per_person())[places.OfficeGrade.BELOW_BUREAU] == 1200
    await standards.set_standard(CLI_ACTOR, "below_bureau", None)
    assert (await standards.per_person())[places.OfficeGrade.BELOW_BUREAU] == 900
    entries = await AuditEntry.filter(action="assets.set_area_standard").order_by("id")
    assert [(e.before["per_person"], e.after["per_person"]) for e in entries] == [
        ("9.00 m²", "12.00 m²"),
        ("12.00 m²", "9.00 m²"),
    ]


async def test_a_bad_standard_is_refused(assets_world):
    for grade, value, code in (("below_bureau", 0, "assets.standard_invalid"), ("chief", 900, "assets.grade_invalid")):
        with pytest.raises(AppError) as refused:
            await standards.set_standard(CLI_ACTOR, grade, value)
        assert refused.value.code == code


async def test_rooms_over_standard_and_vacant_offices_are_flagged(assets_world):
    """301: 18 m² for one 局级以下 (9 m²) is over by 9 m²; 302: 16 m² for two is within 18 m²;
    303: an office nobody uses is idle; 101 (附属用房) is not measured per person."""
    w = assets_world
    by_name = {r["name"]: r for r in await standards.register(Scope.EVERYTHING)}
    assert (by_name["301"]["flag"], by_name["301"]["allowed"], by_name["301"]["over_by"]) == ("over", 900, 900)
    assert (by_name["302"]["flag"], by_name["302"]["allowed"]) == ("ok", 1800)
    assert by_name["303"]["flag"] == "vacant" and by_name["101"]["flag"] == "not_measured"
    over = await standards.register(Scope.EVERYTHING, flag="over")
    assert [r["id"] for r in over] == [w.places["301"]]


async def test_a_raised_standard_brings_a_room_within_it(assets_world):
    await standards.set_standard(CLI_ACTOR, "below_bureau", 1800)
    by_name = {r["name"]: r for r in await standards.register(Scope.EVERYTHING)}
    assert by_name["301"]["flag"] == "ok"


async def test_a_units_admin_sees_only_its_units_rooms(assets_world):
    czj = (await people.units_by_id([assets_world.units["CZJ"]]))[assets_world.units["CZJ"]]
    scope = Scope.units([czj.path])
    assert [r["name"] for r in await standards.register(scope)] == ["302"]


async def test_space_per_person_is_totalled_by_unit(assets_world):
    totals = {t["unit_code"]: t for t in await standards.unit_totals(Scope.EVERYTHING)}
    assert set(totals) == {"FGW-BGS", "CZJ-BGS"}
    assert (totals["FGW-BGS"]["office_area"], totals["FGW-BGS"]["people"]) == (1800, 1)
    assert (totals["FGW-BGS"]["area_per_person"], totals["FGW-BGS"]["rooms_over"]) == (1800, 1)
    assert (totals["CZJ-BGS"]["area_per_person"], totals["CZJ-BGS"]["rooms_over"]) == (800, 0)


async def test_a_person_registered_in_two_offices_is_counted_once_in_the_units_people(assets_world):
    # A register kept before the one-office rule may still hold such a row.
    w = assets_world
    await RoomFacts.filter(place_id=w.places["303"]).update(unit_id=w.units["FGW-BGS"])
    await PlaceOccupant.create(
        place_id=w.places["303"], person_id=w.people["D0001"], grade=places.OfficeGrade.BELOW_BUREAU, since=date.today()
    )
    totals = {t["unit_code"]: t for t in await standards.unit_totals(Scope.EVERYTHING)}
    assert (totals["FGW-BGS"]["rooms"], totals["FGW-BGS"]["office_area"]) == (2, 3800)
    assert (totals["FGW-BGS"]["people"], totals["FGW-BGS"]["area_per_person"]) == (1, 3800)


async def test_unit_names_read_the_parents_in_one_query(assets_world):
    w = assets_world
    with recorded_queries() as executed:
        names = await standards.unit_names(w.units.values())
    assert names[w.units["FGW-BGS"]] == "市发展和改革委员会·办公室"
    assert names[w.units["CZJ-BGS"]] == "市财政局·办公室" and names[w.units["FGW"]] == "市发展和改革委员会"
    assert len(executed) == 2, executed
