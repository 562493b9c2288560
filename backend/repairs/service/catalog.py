"""What a report is filed against: a place of the places module's tree (building → floor →
room), the repair categories with their default team and SLA, and the teams with their
technicians."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from tortoise.transactions import in_transaction

from backend.accounts.service import people as accounts
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.places import service as places
from backend.places.errors import PlacesError
from backend.repairs.errors import RepairsError
from backend.repairs.models import RepairCategory, RepairTeam, TeamMember

DEFAULT_CATEGORIES = (
    ("water", "水电", 2, 16),
    ("lighting", "照明", 2, 8),
    ("aircon", "空调", 2, 16),
    ("doors", "门窗", 4, 24),
    ("network", "网络", 1, 8),
    ("furniture", "家具", 4, 40),
    ("cleaning", "保洁", 1, 4),
    ("other", "其他", 4, 40),
)


# ---- locations ---------------------------------------------------------------------------------
# The place tree is the places module's; these keep the error codes that the repairs console, its
# admin API, the mini-program and Open311 clients have always been answered with.

PLACE_REFUSALS = {
    PlacesError.PLACE_NOT_FOUND.code: RepairsError.LOCATION_NOT_FOUND,
    PlacesError.PLACE_INVALID.code: RepairsError.LOCATION_INVALID,
}


@contextmanager
def _as_repairs_refusals() -> Iterator[None]:
    try:
        yield
    except AppError as refusal:
        if refusal.code not in PLACE_REFUSALS:
            raise
        raise PLACE_REFUSALS[refusal.code].error() from None


async def create_location(actor: Actor, name: str, parent_id: int | None) -> dict:
    """A building (no parent), a floor of a building, or a room on a floor."""
    with _as_repairs_refusals():
        return await places.create_place(actor, name, parent_id)


async def location_tree() -> list[dict]:
    """Every active place, buildings first, each followed by its floors and their rooms."""
    return await places.tree()


async def buildings() -> list[dict]:
    """The active buildings, by name (what reports are filtered and counted by)."""
    return await places.buildings()


async def active_location(location_id: int, conn: Any = None) -> dict:
    with _as_repairs_refusals():
        return await places.active_place(location_id, conn)


# ---- categories --------------------------------------------------------------------------------


def category_view(category: RepairCategory) -> dict:
    return {
        "id": category.id,
        "code": category.code,
        "name": category.name,
        "team_id": category.team_id,
        "accept_hours": float(category.accept_hours),
        "resolve_hours": float(category.resolve_hours),
        "auto_assign": category.auto_assign,
        "sort_order": category.sort_order,
        "is_active": category.is_active,
    }


async def list_categories(active_only: bool = True) -> list[dict]:
    query = RepairCategory.filter(is_active=True) if active_only else RepairCategory.all()
    return [category_view(c) for c in await query.order_by("sort_order", "id")]


async def save_category(
    actor: Actor,
    code: str,
    name: str,
    team_code: str | None,
    accept_hours: Decimal,
    resolve_hours: Decimal,
    auto_assign: bool,
    is_active: bool = True,
) -> dict:
    """Create or change a category (its code stays); SLA hours are working hours."""
    async with in_transaction() as conn:
        team_id = None
        if team_code:
            team = await RepairTeam.get_or_none(code=team_code).using_db(conn)
            if team is None:
                raise RepairsError.TEAM_NOT_FOUND.error()
            team_id = team.id
        values = {
            "name": name,
            "team_id": team_id,
            "accept_hours": accept_hours,
            "resolve_hours": resolve_hours,
            "auto_assign": auto_assign,
            "is_active": is_active,
        }
        category = await RepairCategory.get_or_none(code=code).using_db(conn)
        before = category_view(category) if category else None
        if category is None:
            count = await RepairCategory.all().using_db(conn).count()
            category = await RepairCategory.create(code=code, sort_order=count, **values, using_db=conn)
        else:
            await RepairCategory.filter(id=category.id).using_db(conn).update(**values)
            category = await RepairCategory.get(id=category.id).using_db(conn)
        after = category_view(category)
        await record(conn, actor, "repairs.save_category", "repair_category", category.id, before, after)
    return after


async def ensure_default_categories(actor: Actor) -> int:
    """The usual categories on a new installation (each stays editable); returns how many were added."""
    added = 0
    for code, name, accept, resolve in DEFAULT_CATEGORIES:
        if not await RepairCategory.exists(code=code):
            await save_category(actor, code, name, None, Decimal(accept), Decimal(resolve), False)
            added += 1
    return added


async def active_category(category_id: int, conn=None) -> RepairCategory:
    category = await RepairCategory.get_or_none(id=category_id, is_active=True).using_db(conn)
    if category is None:
        raise RepairsError.CATEGORY_NOT_FOUND.error()
    return category


# ---- teams -------------------------------------------------------------------------------------


def _person(person) -> dict:
    return {"id": person.id, "name": person.name, "employee_no": person.employee_no}


async def _teams_view(teams: list[RepairTeam]) -> list[dict]:
    """Teams with their dispatcher and technicians, in two queries whatever the number of teams."""
    members: dict[int, list[dict]] = {t.id: [] for t in teams}
    for member in (
        await TeamMember.filter(team_id__in=list(members)).select_related("person").order_by("person__employee_no")
    ):
        members[member.team_id].append(_person(member.person))
    return [
        {
            "id": t.id,
            "code": t.code,
            "name": t.name,
            "dispatcher": _person(t.dispatcher) if t.dispatcher_id else None,
            "members": members[t.id],
        }
        for t in teams
    ]


async def team_view(team: RepairTeam) -> dict:
    await team.fetch_related("dispatcher")
    return (await _teams_view([team]))[0]


async def list_teams() -> list[dict]:
    return await _teams_view(await RepairTeam.all().select_related("dispatcher").order_by("code"))


async def save_team(
    actor: Actor, code: str, name: str, dispatcher_employee_no: str | None, member_employee_nos: list[str]
) -> dict:
    """Create or change a team: its name, its dispatcher and exactly these technicians."""
    people = await accounts.people_by_employee_no([*member_employee_nos, *filter(None, [dispatcher_employee_no])])
    async with in_transaction() as conn:
        team = await RepairTeam.get_or_none(code=code).using_db(conn)
        before = await team_view(team) if team else None
        dispatcher_id = people[dispatcher_employee_no] if dispatcher_employee_no else None
        if team is None:
            team = await RepairTeam.create(code=code, name=name, dispatcher_id=dispatcher_id, using_db=conn)
        else:
            await RepairTeam.filter(id=team.id).using_db(conn).update(name=name, dispatcher_id=dispatcher_id)
        wanted = {people[no] for no in member_employee_nos}
        current = set(await TeamMember.filter(team_id=team.id).using_db(conn).values_list("person_id", flat=True))
        await TeamMember.filter(team_id=team.id, person_id__in=current - wanted).using_db(conn).delete()
        await TeamMember.bulk_create(
            [TeamMember(team_id=team.id, person_id=p) for p in wanted - current], using_db=conn
        )
        team = await RepairTeam.get(id=team.id).using_db(conn)
        after = {
            "code": code,
            "name": name,
            "dispatcher": dispatcher_employee_no,
            "members": sorted(member_employee_nos),
        }
        await record(
            conn,
            actor,
            "repairs.save_team",
            "repair_team",
            team.id,
            before
            and {
                "code": before["code"],
                "name": before["name"],
                "dispatcher": before["dispatcher"] and before["dispatcher"]["employee_no"],
                "members": sorted(m["employee_no"] for m in before["members"]),
            },
            after,
        )
    return await team_view(team)


async def technician_teams(person_id: int) -> list[int]:
    """The teams a cadre works in as a technician (none for most cadres, and none for one who
    has left: they get no new reports)."""
    return list(await TeamMember.filter(person_id=person_id, person__is_active=True).values_list("team_id", flat=True))


async def team_names_of(person_id: int) -> list[str]:
    """The teams a cadre works in, by name (shown on their roster page)."""
    members = await TeamMember.filter(person_id=person_id).select_related("team").order_by("team__code")
    return [m.team.name for m in members]


async def cadre_roles(person_id: int) -> tuple[str, ...]:
    """repairs.technician for a member of any team (the mini-program shows their tasks)."""
    return ("repairs.technician",) if await TeamMember.exists(person_id=person_id) else ()
