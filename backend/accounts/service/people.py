"""Units and the staff roster: the unit tree, people, and roster import.

Sibling service modules of this package: `personnel` (one person added, corrected, moved by
hand), `leaving` (a person's 离职), `cadres` (WeChat login and binding), `admins` (console
logins, roles, grants) and `devices` (registration, request signing, heartbeats).
Every function that reads or writes unit-owned data takes `scope` (a required `Scope`: the
unit subtrees the caller may reach, or `Scope.EVERYTHING`), except the few at the end that
other modules call for what they need to know of a person or a unit (`PersonSummary`,
`UnitSummary`): other modules never import this module's models nor name its tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.errors import AccountsError
from backend.accounts.models import Person, StaffCategory, Unit
from backend.accounts.service.roster import RosterFileError, RosterRow, RowProblem, parse_roster
from backend.core.audit import Actor, record, record_many
from backend.core.crypto import FieldCipher, mask_id_card, mask_phone
from backend.core.labels import LabelledEnum
from backend.core.pagination import Page, paginate
from backend.core.permissions import Scope

PHONE_CONTEXT = "person.phone"
ID_CARD_CONTEXT = "person.id_card"


async def units_within(scope: Scope) -> list[int] | None:
    """The ids of the units `scope` reaches (None: every unit).

    Matched here, case-sensitively as the single-unit check `Scope.reaches_unit` is, rather than
    with SQL `LIKE`, which ignores case on SQLite: a scope over unit `FGW` must not reach `fgw`.
    """
    if scope.is_everything:
        return None
    return [unit_id for unit_id, path in await Unit.all().values_list("id", "path") if scope.reaches_unit(path)]


async def _units_filter(scope: Scope, field: str) -> Q:
    ids = await units_within(scope)
    return Q() if ids is None else Q(**{f"{field}__in": ids})


def unit_label(name: str, parent_name: str | None, depth: int) -> str:
    """How pages name a unit: below the agencies (depth > 2) with its parent's name first
    ("市财政局·办公室"), since many units have an office called 办公室."""
    return f"{parent_name}·{name}" if depth > 2 and parent_name else name


def unit_view(unit: Unit) -> dict:
    depth = unit.path.count("/") - 1
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "path": unit.path,
        "depth": depth,
        "parent_id": unit.parent_id,
        "is_enabled": unit.is_enabled,
    }


async def list_units(scope: Scope, *, enabled_only: bool = False) -> list[dict]:
    """Units the caller may see, ordered so that each follows its parent (a printable tree);
    with `enabled_only`, the ones a person can be put in (what pickers offer)."""
    units = Unit.filter(await _units_filter(scope, "id"))
    if enabled_only:
        units = units.filter(is_enabled=True)
    return [unit_view(u) for u in await units.order_by("path")]


async def get_unit(scope: Scope, unit_id: int) -> dict:
    """The unit with its active people counted, itself and below (what disabling it waits for)."""
    unit = await _unit_in_scope(scope, unit_id)
    return {**unit_view(unit), "active_people": await _active_people_below(unit)}


async def _unit_in_scope(scope: Scope, unit_id: int, conn: Any = None) -> Unit:
    unit = await Unit.get_or_none(id=unit_id).using_db(conn)
    if unit is None:
        raise AccountsError.UNIT_NOT_FOUND.error()
    scope.require_unit(unit.path)
    return unit


async def _active_people_below(unit: Unit, conn: Any = None) -> int:
    subtree = await units_within(Scope.units([unit.path]))
    return await Person.filter(unit_id__in=subtree or [], is_active=True).using_db(conn).count()


async def rename_unit(actor: Actor, scope: Scope, unit_id: int, name: str) -> dict:
    """Give the unit a new name (its code, the key rosters and rules name it by, stays)."""
    async with in_transaction() as conn:
        unit = await _unit_in_scope(scope, unit_id, conn)
        before = unit_view(unit)
        unit.name = name
        await unit.save(using_db=conn, update_fields=["name"])
        await record(conn, actor, "accounts.rename_unit", "unit", unit.id, {"name": before["name"]}, {"name": name})
    return unit_view(unit)


async def set_unit_enabled(actor: Actor, scope: Scope, unit_id: int, enabled: bool) -> dict:
    """停用 or 启用 a unit. A unit is disabled only once nobody active is left in it or below it
    (its people are moved or have left first: a bureau abolishing an office transfers its staff)
    and its sub-units are disabled; a unit is enabled only under an enabled parent."""
    async with in_transaction() as conn:
        unit = await _unit_in_scope(scope, unit_id, conn)
        # Queued here, a person added to or moved into the unit meanwhile is counted below.
        await Unit.filter(id=unit.id).using_db(conn).select_for_update().only("id").first()
        if enabled and unit.parent_id is not None:
            parent = await Unit.get(id=unit.parent_id).using_db(conn)
            if not parent.is_enabled:
                raise AccountsError.PARENT_UNIT_DISABLED.error(name=parent.name)
        if not enabled:
            children = await Unit.filter(parent_id=unit.id, is_enabled=True).using_db(conn).order_by("path")
            if children:
                raise AccountsError.UNIT_HAS_ENABLED_CHILDREN.error(names="、".join(c.name for c in children))
            if count := await _active_people_below(unit, conn):
                raise AccountsError.UNIT_HAS_ACTIVE_PEOPLE.error(count=count)
        if unit.is_enabled != enabled:
            unit.is_enabled = enabled
            await unit.save(using_db=conn, update_fields=["is_enabled"])
            await record(
                conn,
                actor,
                "accounts.set_unit_enabled",
                "unit",
                unit.id,
                {"is_enabled": not enabled},
                {"is_enabled": enabled},
            )
    return unit_view(unit)


async def create_unit(actor: Actor, scope: Scope, code: str, name: str, parent_code: str | None) -> dict:
    async with in_transaction() as conn:
        parent = None
        if parent_code:
            parent = await Unit.get_or_none(code=parent_code).using_db(conn)
            if parent is None:
                raise AccountsError.UNIT_NOT_FOUND.error()
            scope.require_unit(parent.path)
            if not parent.is_enabled:
                raise AccountsError.PARENT_UNIT_DISABLED.error(name=parent.name)
        else:
            scope.require_everything()
        if await Unit.filter(code=code).using_db(conn).exists():
            raise AccountsError.UNIT_CODE_TAKEN.error()
        path = f"{parent.path if parent else '/'}{code}/"
        try:
            unit = await Unit.create(code=code, name=name, parent=parent, path=path, using_db=conn)
        except IntegrityError:
            raise AccountsError.UNIT_CODE_TAKEN.error() from None
        await record(conn, actor, "accounts.create_unit", "unit", unit.id, after=unit_view(unit))
    return unit_view(unit)


def person_view(person: Person, cipher: FieldCipher) -> dict:
    phone = cipher.decrypt(person.phone_encrypted, context=PHONE_CONTEXT) if person.phone_encrypted else None
    id_card = cipher.decrypt(person.id_card_encrypted, context=ID_CARD_CONTEXT) if person.id_card_encrypted else None
    unit = person.unit
    return {
        "id": person.id,
        "employee_no": person.employee_no,
        "name": person.name,
        "unit": {"code": unit.code, "name": unit.name},
        "staff_category": person.staff_category.value,
        "staff_category_label": person.staff_category.label,
        "phone": mask_phone(phone),
        "id_card": mask_id_card(id_card),
        "wechat_bound": person.wechat_openid is not None,
        "is_active": person.is_active,
        "left_at": person.left_at.isoformat() if person.left_at else None,
    }


class Standing(LabelledEnum):
    """Which people a roster list shows: by default those still on the staff."""

    ACTIVE = "active", "在职"
    LEFT = "left", "已离职"
    ALL = "all", "全部"


async def people_query(
    scope: Scope, *, query: str = "", unit_code: str | None = None, standing: Standing = Standing.ACTIVE
) -> QuerySet:
    """People within `scope`, in `unit_code`'s subtree, whose name or employee number contains
    `query`, active, left or both as `standing` says."""
    people = Person.filter(await _units_filter(scope, "unit_id"))
    if standing is not Standing.ALL:
        people = people.filter(is_active=standing is Standing.ACTIVE)
    if unit_code:
        unit = await Unit.get_or_none(code=unit_code)
        if unit is None:
            raise AccountsError.UNIT_NOT_FOUND.error()
        people = people.filter(await _units_filter(Scope.units([unit.path]), "unit_id"))
    if query:
        people = people.filter(Q(name__contains=query) | Q(employee_no__contains=query))
    return people.select_related("unit")


async def list_people(
    cipher: FieldCipher,
    scope: Scope,
    *,
    query: str = "",
    unit_code: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page:
    people = await people_query(scope, query=query, unit_code=unit_code, standing=Standing.ALL)
    return await paginate(people, page, page_size, order_by=("employee_no",), view=lambda p: person_view(p, cipher))


async def get_person(cipher: FieldCipher, scope: Scope, person_id: int) -> dict:
    person = await Person.get_or_none(id=person_id).select_related("unit")
    if person is None:
        raise AccountsError.PERSON_NOT_FOUND.error()
    scope.require_unit(person.unit.path)
    return person_view(person, cipher)


async def person_name(person_id: int) -> str:
    person = await Person.get_or_none(id=person_id).only("id", "name")
    if person is None:
        raise AccountsError.PERSON_NOT_FOUND.error()
    return person.name


async def wechat_openid(person_id: int) -> str | None:
    """The WeChat openid a person is bound to (None: not bound, or no such person)."""
    found = await Person.filter(id=person_id).values_list("wechat_openid", flat=True)
    return found[0] if found else None


async def people_by_employee_no(employee_nos: list[str]) -> dict[str, int]:
    """Employee number -> person id for active people; one unknown or inactive number is refused,
    naming it."""
    wanted = set(employee_nos)
    found = dict(await Person.filter(employee_no__in=wanted, is_active=True).values_list("employee_no", "id"))
    missing = sorted(wanted - set(found))
    if missing:
        raise AccountsError.PERSON_NOT_FOUND.error(
            details={"fields": [{"field": "employee_no", "message": f"工号 {missing[0]} 不存在或已离职"}]}
        )
    return found


async def import_roster(
    actor: Actor,
    cipher: FieldCipher,
    scope: Scope,
    filename: str,
    content: bytes,
    *,
    dry_run: bool,
) -> dict:
    """Check a roster file and, unless `dry_run`, create or update its people, all or nothing.

    People are matched by employee number. A file with any bad row changes nothing and is
    answered with every problem by line number.
    """
    units = {u.code: u for u in await Unit.all()}

    def unit_allowed(code: str) -> str | None:
        unit = units.get(code)
        if unit is None:
            return f"单位编码 {code} 不存在"
        if not scope.reaches_unit(unit.path):
            return f"单位 {unit.name} 不在您的管理范围内"
        if not unit.is_enabled:
            return f"单位 {unit.name} 已停用"
        return None

    try:
        # A 20,000-row workbook takes a while to read: keep it off the event loop.
        roster = await asyncio.to_thread(parse_roster, filename, content, unit_allowed=unit_allowed)
    except RosterFileError as exc:
        raise AccountsError.ROSTER_FILE_UNREADABLE.error(reason=str(exc)) from exc
    rows, problems = roster.rows, roster.problems

    async with in_transaction() as conn:
        existing = {
            p.employee_no: p
            for p in await Person.filter(employee_no__in=[r.employee_no for r in rows])
            .using_db(conn)
            .select_related("unit")
        }
        for row in rows:
            if (person := existing.get(row.employee_no)) and not scope.reaches_unit(person.unit.path):
                problems.append(RowProblem(row.line, "工号", "该工号属于您管理范围以外的单位，不能修改"))
        problems += await _ownership_conflicts(cipher, rows, scope, conn)
        if problems:
            problems.sort(key=RowProblem.sort_key)
            raise AccountsError.ROSTER_INVALID.error(
                details={"problems": [p.as_dict() for p in problems]}, count=len(problems)
            )
        created = [r for r in rows if r.employee_no not in existing]
        updated = [r for r in rows if r.employee_no in existing]
        report = {"total": len(rows), "created": len(created), "updated": len(updated), "applied": not dry_run}
        if dry_run:
            return report

        def fill(person: Person, row: RosterRow) -> Person:
            person.name = row.name
            person.unit_id = units[row.unit_code].id
            person.staff_category = row.staff_category
            person.phone_encrypted = row.phone and cipher.encrypt(row.phone, context=PHONE_CONTEXT)
            person.phone_index = row.phone and cipher.blind_index(row.phone, context=PHONE_CONTEXT)
            if roster.has_id_card:
                person.id_card_encrypted = row.id_card and cipher.encrypt(row.id_card, context=ID_CARD_CONTEXT)
                person.id_card_index = row.id_card and cipher.blind_index(row.id_card, context=ID_CARD_CONTEXT)
            return person

        before = {r.employee_no: person_view(existing[r.employee_no], cipher) for r in updated}

        if created:
            await Person.bulk_create(
                [fill(Person(employee_no=r.employee_no), r) for r in created], batch_size=500, using_db=conn
            )
        if updated:
            id_fields = ["id_card_encrypted", "id_card_index"] if roster.has_id_card else []
            await Person.bulk_update(
                [fill(existing[r.employee_no], r) for r in updated],
                fields=["name", "unit_id", "staff_category", "phone_encrypted", "phone_index", *id_fields],
                batch_size=500,
                using_db=conn,
            )
        await record(conn, actor, "accounts.import_roster", "roster", filename[:64], after=report)
        people = (
            await Person.filter(employee_no__in=[r.employee_no for r in rows]).using_db(conn).select_related("unit")
        )
        await record_many(
            conn,
            actor,
            "accounts.import_person",
            "person",
            [(p.id, before.get(p.employee_no), person_view(p, cipher)) for p in people],
        )
    return report


async def _ownership_conflicts(cipher: FieldCipher, rows: list[RosterRow], scope: Scope, conn) -> list[RowProblem]:
    """A phone or ID-card number already on the roster under another employee number. Whose it
    is, is told only when that person is within the importer's scope."""
    problems = []
    for field_name, column, context in (("phone", "手机号", PHONE_CONTEXT), ("id_card", "身份证号", ID_CARD_CONTEXT)):
        wanted = {}
        for row in rows:
            value = getattr(row, field_name)
            if value:
                wanted[cipher.blind_index(value, context=context)] = row
        index_field = f"{field_name}_index"
        for chunk_start in range(0, len(wanted), 1000):
            chunk = list(wanted)[chunk_start : chunk_start + 1000]
            owners = (
                await Person.filter(**{f"{index_field}__in": chunk})
                .using_db(conn)
                .values("employee_no", "unit__path", index_field)
            )
            for owner in owners:
                row = wanted[owner[index_field]]
                if owner["employee_no"] != row.employee_no:
                    whose = (
                        f"已登记在工号 {owner['employee_no']} 名下"
                        if scope.reaches_unit(owner["unit__path"])
                        else "已被其他人员登记"
                    )
                    problems.append(RowProblem(row.line, column, whose))
    return problems


# What other modules may know of people and units. They call these instead of importing the
# models, so the roster's tables stay this module's own.

# Ids per query: well under PostgreSQL's limit of 32,767 parameters whatever the roster's size.
_ID_BATCH = 1000


@dataclass(frozen=True)
class PersonSummary:
    """A person as another module needs them: never their personal data (phone, ID card)."""

    id: int
    employee_no: str
    name: str
    unit_id: int
    staff_category: StaffCategory
    is_active: bool


@dataclass(frozen=True)
class UnitSummary:
    id: int
    code: str
    name: str
    path: str
    is_enabled: bool = True


_SUMMARY_FIELDS = ("id", "employee_no", "name", "unit_id", "staff_category", "is_active")


def _summary(values: Mapping[str, Any], prefix: str = "") -> PersonSummary:
    return PersonSummary(
        id=values[f"{prefix}id"],
        employee_no=values[f"{prefix}employee_no"],
        name=values[f"{prefix}name"],
        unit_id=values[f"{prefix}unit_id"],
        staff_category=StaffCategory(values[f"{prefix}staff_category"]),
        is_active=bool(values[f"{prefix}is_active"]),
    )


async def person_exists(person_id: int) -> bool:
    return await Person.exists(id=person_id)


async def person_summary(person_id: int, using_db: Any = None) -> PersonSummary:
    """The person's summary, read on `using_db` (a caller's transaction) when given."""
    found = await Person.filter(id=person_id).using_db(using_db).values(*_SUMMARY_FIELDS)
    if not found:
        raise AccountsError.PERSON_NOT_FOUND.error()
    return _summary(found[0])


async def people_summaries(person_ids: Iterable[int]) -> list[PersonSummary]:
    """The people of `person_ids` that exist, by id, read in batches however many are asked for."""
    ids = sorted(set(person_ids))
    found = []
    for start in range(0, len(ids), _ID_BATCH):
        rows = await Person.filter(id__in=ids[start : start + _ID_BATCH]).order_by("id").values(*_SUMMARY_FIELDS)
        found += [_summary(row) for row in rows]
    return found


async def people_in_categories(categories: Iterable[StaffCategory]) -> dict[int, StaffCategory]:
    """person id -> category of everyone on the roster in one of `categories`."""
    rows = await Person.filter(staff_category__in=list(categories)).values_list("id", "staff_category")
    return {person_id: StaffCategory(category) for person_id, category in rows}


async def person_ids_with_employee_no(employee_no: str) -> list[int]:
    """The id of whoever carries `employee_no` (active or not); empty when nobody does."""
    return list(await Person.filter(employee_no=employee_no).values_list("id", flat=True))


async def person_by_phone(cipher: FieldCipher, phone: str) -> PersonSummary | None:
    """Whoever on the roster has this phone (by its blind index), active or not; None when
    nobody has. For matching a person someone names by phone, never for showing the phone."""
    found = await Person.filter(phone_index=cipher.blind_index(phone, context=PHONE_CONTEXT)).values(*_SUMMARY_FIELDS)
    return _summary(found[0]) if found else None


async def active_people_under(unit_id: int, staff_category: StaffCategory) -> list[PersonSummary]:
    """The active people of `staff_category` in the unit and every unit below it, by id.

    The subtree's units are matched as `units_within` matches them (case-sensitively), and
    asked for in batches, so that a province-wide tree stays within the query-parameter limit."""
    unit = await Unit.get_or_none(id=unit_id).only("id", "path")
    if unit is None:
        return []
    unit_ids = await units_within(Scope.units([unit.path]))
    assert unit_ids is not None
    found = []
    for start in range(0, len(unit_ids), _ID_BATCH):
        rows = await Person.filter(
            unit_id__in=unit_ids[start : start + _ID_BATCH], staff_category=staff_category, is_active=True
        ).values(*_SUMMARY_FIELDS)
        found += [_summary(row) for row in rows]
    return sorted(found, key=lambda person: person.id)


async def lock_person(conn: Any, person_id: int) -> PersonSummary | None:
    """Lock the person's row for the rest of the caller's transaction and read them (a leaving
    of the person queues on the same lock); None if there is none."""
    person = await Person.filter(id=person_id).using_db(conn).select_for_update().first()
    return None if person is None else _summary({name: getattr(person, name) for name in _SUMMARY_FIELDS})


async def wechat_openid_of(person_id: int) -> str | None:
    """The openid the person's WeChat account is bound with, None while unbound."""
    found = await Person.filter(id=person_id).values("wechat_openid")
    if not found:
        raise AccountsError.PERSON_NOT_FOUND.error()
    return found[0]["wechat_openid"]


def person_join(person_id_sql: str, alias: str = "person") -> tuple[str, str]:
    """For a hot path that reads a person in the same statement as its own rows (a payment at the
    lunch rush is one round trip): the select list, naming its columns `person_<field>`, and the
    JOIN of the person whose id is the SQL expression `person_id_sql`. `summary_of_row` reads the
    person back from a row. Everywhere else, call `person_summary`."""
    columns = ", ".join(f"{alias}.{field} AS person_{field}" for field in _SUMMARY_FIELDS)
    return columns, f"JOIN {Person._meta.db_table} {alias} ON {alias}.id = {person_id_sql}"


def summary_of_row(row: Mapping[str, Any]) -> PersonSummary:
    """The person of a row read with `person_join`'s columns."""
    return _summary(row, "person_")


def _unit_summary(unit: Unit) -> UnitSummary:
    return UnitSummary(unit.id, unit.code, unit.name, unit.path, unit.is_enabled)


async def unit_by_code(code: str) -> UnitSummary | None:
    unit = await Unit.get_or_none(code=code)
    return None if unit is None else _unit_summary(unit)


async def units_by_id(unit_ids: Iterable[int]) -> dict[int, UnitSummary]:
    ids = sorted(set(unit_ids))
    found = {}
    for start in range(0, len(ids), _ID_BATCH):
        for unit in await Unit.filter(id__in=ids[start : start + _ID_BATCH]):
            found[unit.id] = _unit_summary(unit)
    return found


async def established_headcount(unit_ids: Iterable[int]) -> dict[int, int]:
    """STAND-IN (helper D): active 在编 people in each unit's subtree."""
    units = await Unit.filter(id__in=list(unit_ids)).values_list("id", "path")
    all_paths = await Unit.all().values_list("id", "path")
    counted = {
        unit_id: count
        for unit_id, count in await Person.filter(is_active=True, staff_category=StaffCategory.ESTABLISHED)
        .group_by("unit_id")
        .annotate(n=Count("id"))
        .values_list("unit_id", "n")
    }
    return {
        unit_id: sum(counted.get(other, 0) for other, other_path in all_paths if other_path.startswith(path))
        for unit_id, path in units
    }
