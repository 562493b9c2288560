"""The tree of places building → floor → room (楼宇 → 楼层 → 房间), for any module that files
something against a place: create a place, list the tree, check a place, and answer the
questions other modules ask by id (a place's full name, what lies within a building, which
building a room is in), so that none of them reads this module's table.

Places are added, never renamed, moved or deleted: an id once given names the same place for
good (a place no longer in use is made inactive).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.core.timeutil import today
from backend.places.errors import PlacesError
from backend.places.models import OfficeGrade, Place, PlaceKind, PlaceOccupant, RoomFacts, RoomUse

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
        place = await _create(conn, actor, name, parent)
    return place_view(place)


async def _create(conn: Any, actor: Actor, name: str, parent: Place | None) -> Place:
    kind = CHILD_KIND.get(parent.kind if parent else None)
    if kind is None:
        raise PlacesError.PLACE_INVALID.error()
    full_name = f"{parent.full_name} {name}" if parent else name
    place = await Place.create(
        parent_id=parent.id if parent else None, kind=kind, name=name, full_name=full_name, path="", using_db=conn
    )
    place.path = f"{parent.path if parent else '/'}{place.id}/"
    await place.save(using_db=conn, update_fields=["path"])
    await record(conn, actor, "places.create_place", "place", place.id, after=place_view(place))
    return place


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


# ---- rooms in the office-space register (issue 17) ----------------------------------------------
# A room's facts (areas in hundredths of m², use, holding unit) and its occupants with their
# grade. The assets module's office-space register, area standard and room reallocations read and
# change them only through these functions. `RoomUse` and `OfficeGrade` are passed on from here
# for the modules that name them.

MAX_AREA_HUNDREDTHS = 10_000_000  # 100,000 m²: no single room is larger


async def _active_room(conn: Any, place_id: int, lock: bool = False) -> Place:
    query = Place.filter(id=place_id, is_active=True).using_db(conn)
    place = await (query.select_for_update() if lock else query).first()
    if place is None:
        raise PlacesError.PLACE_NOT_FOUND.error()
    if place.kind is not PlaceKind.ROOM:
        raise PlacesError.NOT_A_ROOM.error()
    return place


def _facts_view(facts: RoomFacts | None) -> dict:
    if facts is None:
        return {"use_area": None, "building_area": None, "use": None, "use_label": "", "unit_id": None}
    return {
        "use_area": facts.use_area_hundredths,
        "building_area": facts.building_area_hundredths,
        "use": facts.room_use.value,
        "use_label": facts.room_use.label,
        "unit_id": facts.unit_id,
    }


def parse_area(text: str) -> int:
    """Hundredths of m² from an area typed in m² ("18.5" is 1850), read as a decimal, never a
    float; raises places.area_invalid unless it is a positive number with at most two decimals."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise PlacesError.AREA_INVALID.error() from None
    hundredths = value * 100
    if (
        not value.is_finite()
        or hundredths != hundredths.to_integral_value()
        or not 0 < hundredths <= MAX_AREA_HUNDREDTHS
    ):
        raise PlacesError.AREA_INVALID.error()
    return int(hundredths)


def area_text(hundredths: int | None) -> str:
    """ "18.50 m²" for 1850 hundredths ("" for none)."""
    return "" if hundredths is None else f"{hundredths // 100}.{hundredths % 100:02d} m²"


async def _check_unit(unit_id: int | None) -> None:
    """Raises places.unit_invalid unless the unit (if any) exists and is enabled."""
    if unit_id is None:
        return
    unit = (await people.units_by_id([unit_id])).get(unit_id)
    if unit is None or not unit.is_enabled:
        raise PlacesError.UNIT_INVALID.error()


async def _audited_facts(facts: RoomFacts) -> dict:
    """A room's facts as the audit log shows them: areas in m², the unit by name."""
    units = await people.units_by_id([facts.unit_id] if facts.unit_id else [])
    return {
        "use_area": area_text(facts.use_area_hundredths),
        "building_area": area_text(facts.building_area_hundredths),
        "use": facts.room_use.value,
        "unit": units[facts.unit_id].name if facts.unit_id in units else "（空置）",
    }


async def _in_transaction(conn: Any, work: Any) -> Any:
    """`work(conn)` on the caller's transaction, or on a transaction of its own when `conn` is None."""
    if conn is not None:
        return await work(conn)
    async with in_transaction() as own:
        return await work(own)


async def set_room_facts(
    conn: Any,
    actor: Actor,
    place_id: int,
    use_area: int,
    building_area: int | None,
    use: RoomUse,
    unit_id: int | None,
) -> dict:
    """Register or correct a room's areas (hundredths of m²: 1800 is 18.00 m²), use and holding
    unit (None: vacant). On `conn` (the caller's transaction), or on its own when None."""
    if not 0 < use_area <= MAX_AREA_HUNDREDTHS or (
        building_area is not None and not use_area <= building_area <= MAX_AREA_HUNDREDTHS
    ):
        raise PlacesError.AREA_INVALID.error()
    await _check_unit(unit_id)

    async def work(conn: Any) -> dict:
        place = await _active_room(conn, place_id, lock=True)
        facts = await RoomFacts.get_or_none(place_id=place.id).using_db(conn)
        if use is RoomUse.OFFICE and (facts is None or facts.room_use is not RoomUse.OFFICE):
            # A room becoming an office must not give one of its occupants a second office.
            occupants = await PlaceOccupant.filter(place_id=place.id).using_db(conn).order_by("person_id")
            for occupant in occupants:
                await _refuse_second_office(conn, place.id, occupant.person_id)
        before = await _audited_facts(facts) if facts else None
        if facts is None:
            facts = RoomFacts(place_id=place.id)
        facts.use_area_hundredths, facts.building_area_hundredths = use_area, building_area
        facts.room_use, facts.unit_id = use, unit_id
        await facts.save(using_db=conn)
        await record(conn, actor, "places.set_room_facts", "place", place.id, before, await _audited_facts(facts))
        return _facts_view(facts)

    return await _in_transaction(conn, work)


async def clear_room_facts(conn: Any, actor: Actor, place_id: int) -> None:
    """Take a room out of the office-space register (its areas, use and unit; occupants stay
    until removed)."""

    async def work(conn: Any) -> None:
        place = await _active_room(conn, place_id, lock=True)
        facts = await RoomFacts.get_or_none(place_id=place.id).using_db(conn)
        if facts is None:
            raise PlacesError.NOT_IN_REGISTER.error()
        before = await _audited_facts(facts)
        await facts.delete(using_db=conn)
        await record(conn, actor, "places.clear_room_facts", "place", place.id, before, None)

    await _in_transaction(conn, work)


async def set_room_unit(conn: Any, place_id: int, unit_id: int | None) -> int | None:
    """Give a registered room to `unit_id` on `conn` (the caller records why: a reallocation);
    returns the unit that held it before."""
    await _check_unit(unit_id)
    place = await _active_room(conn, place_id, lock=True)
    facts = await RoomFacts.get_or_none(place_id=place.id).using_db(conn)
    if facts is None:
        raise PlacesError.NOT_IN_REGISTER.error()
    before = facts.unit_id
    facts.unit_id = unit_id
    await facts.save(using_db=conn, update_fields=["unit_id", "updated_at"])
    return before


async def lock_room(conn: Any, place_id: int) -> dict:
    """Lock a room's row for the rest of the caller's transaction (requests about one room queue
    on it) and read it with its facts and how many occupants it has (`occupant_count`); raises
    unless it is an active room."""
    place = await _active_room(conn, place_id, lock=True)
    facts = await RoomFacts.get_or_none(place_id=place.id).using_db(conn)
    occupant_count = await PlaceOccupant.filter(place_id=place.id).using_db(conn).count()
    registered = facts is not None
    return {**place_view(place), **_facts_view(facts), "registered": registered, "occupant_count": occupant_count}


def _office_rooms() -> QuerySet:
    """The ids of the active rooms registered as offices, as a subquery."""
    active = Place.filter(is_active=True).values("id")
    return RoomFacts.filter(room_use=RoomUse.OFFICE, place_id__in=Subquery(active)).values("place_id")


async def _refuse_second_office(conn: Any, place_id: int, person_id: int) -> None:
    """Raises places.occupant_has_office if the person works in an office room other than
    `place_id`. The person's row is locked first, so that two rooms taking the same person at
    once queue and the second one sees the first."""
    person = await people.lock_person(conn, person_id)
    other = (
        await PlaceOccupant.filter(person_id=person_id, place_id__in=Subquery(_office_rooms()))
        .exclude(place_id=place_id)
        .using_db(conn)
        .order_by("id")
        .first()
    )
    if other is not None:
        room = await Place.get(id=other.place_id).using_db(conn)
        name = f"{person.name}（{person.employee_no}）" if person else "此人"
        raise PlacesError.OCCUPANT_HAS_OFFICE.error(person=name, room=room.full_name)


async def office_rooms_of(person_ids: Iterable[int]) -> dict[int, list[dict]]:
    """{person id: the active office rooms they are registered in, each as {"id", "full_name",
    "names": (building, floor, room)}} of these people (those in none are left out)."""
    ids = sorted(set(person_ids))
    found: dict[int, list[dict]] = {}
    for start in range(0, len(ids), 1000):
        rows = await PlaceOccupant.filter(
            person_id__in=ids[start : start + 1000], place_id__in=Subquery(_office_rooms())
        ).values_list("person_id", "place_id")
        rooms = {p.id: p for p in await Place.filter(id__in={place_id for _, place_id in rows})}
        chain_ids = {int(part) for room in rooms.values() for part in room.path.strip("/").split("/")}
        names = dict(await Place.filter(id__in=chain_ids).values_list("id", "name"))
        for person_id, place_id in rows:
            room = rooms[place_id]
            chain = tuple(names.get(int(part), "") for part in room.path.strip("/").split("/"))
            found.setdefault(person_id, []).append({"id": room.id, "full_name": room.full_name, "names": chain})
    return found


async def add_occupant(conn: Any, actor: Actor, place_id: int, person_id: int, grade: OfficeGrade, since: date) -> None:
    """Register an active person as working in the room from `since` (not after today), counted
    at `grade` by the standard. A person works in one office room at most: another one (an
    active room registered as an office) is refused while they are registered in it."""
    if since > today():
        raise PlacesError.SINCE_IN_FUTURE.error()

    async def work(conn: Any) -> None:
        place = await _active_room(conn, place_id, lock=True)
        found = await people.people_summaries([person_id])
        person = found[0] if found else None
        if person is None or not person.is_active:
            raise PlacesError.PERSON_INVALID.error()
        if await PlaceOccupant.filter(place_id=place.id, person_id=person_id).using_db(conn).exists():
            raise PlacesError.OCCUPANT_EXISTS.error()
        facts = await RoomFacts.get_or_none(place_id=place.id).using_db(conn)
        if facts is not None and facts.room_use is RoomUse.OFFICE:
            await _refuse_second_office(conn, place.id, person_id)
        await PlaceOccupant.create(place_id=place.id, person_id=person_id, grade=grade, since=since, using_db=conn)
        after = {"person": f"{person.name}（{person.employee_no}）", "grade": grade.value, "since": since.isoformat()}
        await record(conn, actor, "places.add_occupant", "place", place.id, None, after)

    await _in_transaction(conn, work)


async def remove_occupant(conn: Any, actor: Actor, place_id: int, person_id: int) -> None:
    async def work(conn: Any) -> None:
        place = await _active_room(conn, place_id, lock=True)
        occupant = await PlaceOccupant.get_or_none(place_id=place.id, person_id=person_id).using_db(conn)
        if occupant is None:
            raise PlacesError.OCCUPANT_NOT_FOUND.error()
        person = await people.person_summary(person_id, using_db=conn)
        before = {"person": f"{person.name}（{person.employee_no}）", "grade": occupant.grade.value}
        await occupant.delete(using_db=conn)
        await record(conn, actor, "places.remove_occupant", "place", place.id, before, None)

    await _in_transaction(conn, work)


async def _occupants_of(place_ids: Subquery) -> dict[int, list[dict]]:
    rows = await PlaceOccupant.filter(place_id__in=place_ids).order_by("id")
    summaries = {p.id: p for p in await people.people_summaries(r.person_id for r in rows)}
    found: dict[int, list[dict]] = {}
    for row in rows:
        person = summaries[row.person_id]
        found.setdefault(row.place_id, []).append(
            {
                "person_id": person.id,
                "name": person.name,
                "employee_no": person.employee_no,
                "unit_id": person.unit_id,
                "grade": row.grade.value,
                "grade_label": row.grade.label,
                "since": row.since,
            }
        )
    return found


async def room_facts(place_ids: Iterable[int]) -> dict[int, dict]:
    """{id: facts and occupants} of these rooms, active or not (those never registered have
    None areas, use and unit)."""
    return await _room_views(Place.filter(id__in=sorted(set(place_ids)), kind=PlaceKind.ROOM))


async def _room_views(query: QuerySet) -> dict[int, dict]:
    """{id: facts and occupants} of the rooms `query` selects, their facts and occupants read
    through it as a subquery (no list of every room's id is sent to the database)."""
    places = await query
    ids = Subquery(query.values("id"))
    facts = {f.place_id: f for f in await RoomFacts.filter(place_id__in=ids)}
    occupants = await _occupants_of(ids)
    return {
        p.id: {
            **place_view(p),
            "building_id": int(p.path.split("/")[1]),
            **_facts_view(facts.get(p.id)),
            "registered": p.id in facts,
            "occupants": occupants.get(p.id, []),
        }
        for p in places
    }


async def rooms(
    unit_ids: Iterable[int] | None = None, building_id: int | None = None, vacant_only: bool = False
) -> list[dict]:
    """The active rooms, by full name, with facts and occupants: those held by `unit_ids` (None:
    every room, registered or not), within `building_id`; `vacant_only`: registered rooms no
    unit holds."""
    query = Place.filter(kind=PlaceKind.ROOM, is_active=True)
    if building_id is not None:
        query = query.filter(path__startswith=f"/{building_id}/")
    if unit_ids is not None or vacant_only:
        held = RoomFacts.all()
        held = held.filter(unit_id__isnull=True) if vacant_only else held.filter(unit_id__in=list(unit_ids or []))
        query = query.filter(id__in=Subquery(held.values("place_id")))
    found = await _room_views(query)
    return sorted(found.values(), key=lambda room: room["full_name"])


async def ensure_room(conn: Any, actor: Actor, building: str, floor: str, room: str) -> tuple[int, bool]:
    """The id of the active room `room` on floor `floor` of building `building` (by name), the
    missing ones created on `conn`; and whether the room was created."""
    parent: Place | None = None
    created = False
    for name in (building, floor, room):
        name = name.strip()
        if not 0 < len(name) <= 100:
            raise PlacesError.NAME_INVALID.error()
        query = Place.filter(name=name, is_active=True).using_db(conn)
        query = query.filter(parent_id=parent.id) if parent else query.filter(parent_id__isnull=True)
        found = await query.order_by("id").first()
        created = found is None
        parent = found or await _create(conn, actor, name, parent)
    assert parent is not None
    return parent.id, created


async def replace_occupants(
    conn: Any, actor: Actor, place_id: int, occupants: list[tuple[int, OfficeGrade]], since: date
) -> None:
    """Make the room's occupants exactly `occupants` (person id, grade) on `conn`: those already
    there keep their date and take the new grade, the others are added from `since` or removed."""
    wanted = dict(occupants)
    await remove_occupants_except(conn, actor, place_id, wanted)
    current = {o.person_id: o for o in await PlaceOccupant.filter(place_id=place_id).using_db(conn)}
    for person_id, occupant in current.items():
        if occupant.grade != wanted[person_id]:
            before = {"person_id": person_id, "grade": occupant.grade.value}
            occupant.grade = wanted[person_id]
            await occupant.save(using_db=conn, update_fields=["grade"])
            after = {"person_id": person_id, "grade": occupant.grade.value}
            await record(conn, actor, "places.set_occupant_grade", "place", place_id, before, after)
    for person_id, grade in wanted.items():
        if person_id not in current:
            await add_occupant(conn, actor, place_id, person_id, grade, since)


async def rooms_of(person_id: int, conn: Any = None) -> dict[int, str]:
    """{room id: full name} of the rooms the person is registered as working in."""
    place_ids = await PlaceOccupant.filter(person_id=person_id).using_db(conn).values_list("place_id", flat=True)
    return dict(await Place.filter(id__in=list(place_ids)).using_db(conn).values_list("id", "full_name"))


async def remove_occupants_except(conn: Any, actor: Actor, place_id: int, person_ids: Iterable[int]) -> None:
    """Remove from the room on `conn` everyone not in `person_ids` (each removal audited)."""
    keep = set(person_ids)
    current = await PlaceOccupant.filter(place_id=place_id).using_db(conn).values_list("person_id", flat=True)
    for person_id in sorted(set(current) - keep):
        await remove_occupant(conn, actor, place_id, person_id)


async def area_by_unit(unit_ids: Iterable[int]) -> dict[int, int]:
    """STAND-IN (helper D): building area (use area where missing) in hundredths of m² of rooms
    held by each unit's subtree."""
    units = await people.units_by_id(unit_ids)
    rooms = await RoomFacts.filter(unit_id__isnull=False).values_list(
        "unit_id", "building_area_hundredths", "use_area_hundredths"
    )
    paths = {u.id: u.path for u in (await people.units_by_id({unit_id for unit_id, _, _ in rooms})).values()}
    return {
        unit.id: sum(building or use for holder, building, use in rooms if paths.get(holder, "").startswith(unit.path))
        for unit in units.values()
    }
