"""The tree of places building → floor → room (楼宇 → 楼层 → 房间), for any module that files
something against a place: create a place, list the tree, check a place, and answer the
questions other modules ask by id (a place's full name, what lies within a building, which
building a room is in), so that none of them reads this module's table.

Places are added, never renamed, moved or deleted: an id once given names the same place for
good (a place no longer in use is made inactive).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.places.errors import PlacesError
from backend.places.models import Place, PlaceKind

CHILD_KIND = {
    None: PlaceKind.BUILDING,
    PlaceKind.BUILDING: PlaceKind.FLOOR,
    PlaceKind.FLOOR: PlaceKind.ROOM,
}


def place_view(place: Place) -> dict:
    return {
        "id": place.id,
        "parent_id": place.parent_id,
        "kind": place.kind.value,
        "name": place.name,
        "full_name": place.full_name,
        "is_active": place.is_active,
    }


async def create_place(actor: Actor, name: str, parent_id: int | None) -> dict:
    """A building (no parent), a floor of a building, or a room on a floor."""
    async with in_transaction() as conn:
        parent = None
        if parent_id is not None:
            parent = await Place.get_or_none(id=parent_id, is_active=True).using_db(conn)
            if parent is None:
                raise PlacesError.PLACE_NOT_FOUND.error()
        kind = CHILD_KIND.get(parent.kind if parent else None)
        if kind is None:
            raise PlacesError.PLACE_INVALID.error()
        full_name = f"{parent.full_name} {name}" if parent else name
        place = await Place.create(
            parent_id=parent_id, kind=kind, name=name, full_name=full_name, path="", using_db=conn
        )
        place.path = f"{parent.path if parent else '/'}{place.id}/"
        await place.save(using_db=conn, update_fields=["path"])
        await record(conn, actor, "places.create_place", "place", place.id, after=place_view(place))
    return place_view(place)


async def tree() -> list[dict]:
    """Every active place, each building followed by its floors and each floor by its rooms (by
    name at each level), with its `depth` (0 for a building)."""
    places = await Place.filter(is_active=True).order_by("path")
    by_parent: dict[int | None, list[Place]] = {}
    for place in places:
        by_parent.setdefault(place.parent_id, []).append(place)

    def walk(parent_id: int | None, depth: int) -> list[dict]:
        rows = []
        for place in sorted(by_parent.get(parent_id, []), key=lambda x: x.name):
            rows.append({**place_view(place), "depth": depth})
            rows.extend(walk(place.id, depth + 1))
        return rows

    return walk(None, 0)


async def buildings() -> list[dict]:
    """The active buildings, by name."""
    return [place_view(b) for b in await Place.filter(kind=PlaceKind.BUILDING, is_active=True).order_by("name")]


async def active_place(place_id: int, conn: Any = None) -> dict:
    """The place, if it exists and is in use (raises places.place_not_found otherwise); `conn`
    reads it inside the caller's transaction."""
    place = await Place.get_or_none(id=place_id, is_active=True).using_db(conn)
    if place is None:
        raise PlacesError.PLACE_NOT_FOUND.error()
    return place_view(place)


async def full_names(place_ids: Iterable[int] | None = None) -> dict[int, str]:
    """{id: full name ("市民中心A座 3楼 301")} of these places, active or not (None: of all)."""
    query = Place.all() if place_ids is None else Place.filter(id__in=set(place_ids))
    return dict(await query.values_list("id", "full_name"))


async def ids_within(place_id: int) -> list[int]:
    """The ids of the place and of everything under it, active or not (none for an unknown id)."""
    path = await Place.filter(id=place_id).values_list("path", flat=True)
    if not path:
        return []
    return list(await Place.filter(path__startswith=path[0]).values_list("id", flat=True))


async def building_ids(place_ids: Iterable[int]) -> dict[int, int]:
    """{id: the id of the building it is in (its own for a building)} of these places."""
    paths = await Place.filter(id__in=set(place_ids)).values_list("id", "path")
    # The path starts with the building: "/3/17/52/".
    return {place_id: int(path.split("/")[1]) for place_id, path in paths}
