"""The place tree (building → floor → room) as other modules see it: through the places
service, by id."""

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.places import service as places
from backend.places.models import Place


async def _tree() -> dict[str, int]:
    """Two buildings, a floor with two rooms in the first: {name: id}."""
    a = await places.create_place(CLI_ACTOR, "A座", None)
    b = await places.create_place(CLI_ACTOR, "B座", None)
    floor = await places.create_place(CLI_ACTOR, "3楼", a["id"])
    rooms = [await places.create_place(CLI_ACTOR, name, floor["id"]) for name in ("301", "302")]
    return {p["name"]: p["id"] for p in (a, b, floor, *rooms)}


async def test_a_place_is_named_after_the_places_it_is_in_and_its_creation_audited(app):
    ids = await _tree()
    assert (await places.active_place(ids["301"]))["full_name"] == "A座 3楼 301"
    assert [p["name"] for p in await places.tree()] == ["A座", "3楼", "301", "302", "B座"]
    audited = await AuditEntry.filter(action="places.create_place").values_list("object_id", flat=True)
    assert sorted(map(int, audited)) == sorted(ids.values())


async def test_a_room_holds_nothing_and_an_unknown_parent_is_refused(app):
    ids = await _tree()
    with pytest.raises(AppError) as under_a_room:
        await places.create_place(CLI_ACTOR, "柜子", ids["301"])
    with pytest.raises(AppError) as unknown:
        await places.create_place(CLI_ACTOR, "4楼", 999_999)
    assert (under_a_room.value.code, unknown.value.code) == ("places.place_invalid", "places.place_not_found")
    assert await Place.all().count() == 5


async def test_other_modules_ask_by_id_what_is_within_a_building_and_which_building_a_room_is_in(app):
    ids = await _tree()
    assert sorted(await places.ids_within(ids["A座"])) == sorted([ids["A座"], ids["3楼"], ids["301"], ids["302"]])
    assert await places.ids_within(ids["3楼"]) != [] and ids["A座"] not in await places.ids_within(ids["3楼"])
    assert await places.ids_within(999_999) == []
    assert await places.building_ids([ids["302"], ids["B座"]]) == {ids["302"]: ids["A座"], ids["B座"]: ids["B座"]}
    assert await places.full_names([ids["302"]]) == {ids["302"]: "A座 3楼 302"}


async def test_an_inactive_place_is_left_out_of_the_tree_but_keeps_its_name(app):
    ids = await _tree()
    await Place.filter(id=ids["302"]).update(is_active=False)
    assert "302" not in [p["name"] for p in await places.tree()]
    with pytest.raises(AppError):
        await places.active_place(ids["302"])
    assert (await places.full_names())[ids["302"]] == "A座 3楼 302"
