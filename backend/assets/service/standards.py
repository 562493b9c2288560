"""The office-space area standard (办公用房面积标准) and the checks made against it.

Each grade is allowed an office area per person (使用面积). The bureau may set its own values
(`AreaStandard` rows); a grade without a row uses the value 《党政机关办公用房建设标准》 gives
city-level bodies. A room used as an office is allowed the sum of its occupants' standards: it is
over standard (超标) when its use area is larger, and idle (闲置) when nobody works in it. Other
uses (service, equipment, ancillary rooms) are not measured per person."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.assets.errors import AssetsError
from backend.assets.models import AreaStandard
from backend.core.audit import Actor, record
from backend.core.permissions import Scope
from backend.places import service as places

G = places.OfficeGrade
# Hundredths of m² per person, city-level bodies (市级机关).
NATIONAL = {
    G.CITY_CHIEF: 4200,
    G.CITY_DEPUTY: 3000,
    G.BUREAU_CHIEF: 2400,
    G.BUREAU_DEPUTY: 1800,
    G.BELOW_BUREAU: 900,
}
MOST_PER_PERSON = 20_000  # 200 m²

# The audit log names a grade's standard by a number (its rank, 1 for 市级正职).
GRADE_NUMBERS = {grade: n for n, grade in enumerate(NATIONAL, start=1)}

OK, OVER, VACANT, NOT_MEASURED = "ok", "over", "vacant", "not_measured"
FLAG_LABELS = {OK: "达标", OVER: "超标", VACANT: "闲置", NOT_MEASURED: "不核定"}


async def unit_names(unit_ids: Iterable[int]) -> dict[int, str]:
    """{id: name} of units as pages name them: an office below an agency with the agency's name
    first ("市发展和改革委员会·办公室"), since many agencies have an office called 办公室. The
    parents are read in one query, however many units are named."""
    units = await people.units_by_id(unit_ids)
    codes = {unit.id: unit.path.strip("/").split("/") for unit in units.values()}  # "/SJGSW/FGW/FGW-BGS/"
    parents: dict[str, str] = {}
    if any(len(chain) > 2 for chain in codes.values()):
        # Only a unit below an agency is named with its parent (`people.unit_label`).
        parents = {u["code"]: u["name"] for u in await people.list_units(Scope.EVERYTHING)}
    names = {}
    for unit in units.values():
        chain = codes[unit.id]
        names[unit.id] = people.unit_label(unit.name, parents.get(chain[-2]) if len(chain) > 1 else None, len(chain))
    return names


def _grade(value: str) -> places.OfficeGrade:
    try:
        return places.OfficeGrade(value)
    except ValueError:
        raise AssetsError.GRADE_INVALID.error() from None


async def describe_grades(ids: list[int]) -> dict[int, str]:
    """{number: "局级以下"}: a grade's standard as the audit log names it."""
    return {n: grade.label for grade, n in GRADE_NUMBERS.items() if n in ids}


async def per_person() -> dict[places.OfficeGrade, int]:
    """The standard in force, hundredths of m² per person, for every grade."""
    overrides = dict(await AreaStandard.all().values_list("grade", "per_person_hundredths"))
    return {grade: overrides.get(grade.value, national) for grade, national in NATIONAL.items()}


async def table() -> list[dict]:
    """The standard as the console shows it: every grade, its value, the national one, and
    whether the bureau set its own."""
    overrides = dict(await AreaStandard.all().values_list("grade", "per_person_hundredths"))
    return [
        {
            "grade": grade.value,
            "grade_label": grade.label,
            "per_person": overrides.get(grade.value, national),
            "national": national,
            "overridden": grade.value in overrides,
        }
        for grade, national in NATIONAL.items()
    ]


async def set_standard(actor: Actor, grade: str, per_person_hundredths: int | None) -> None:
    """Set a grade's office area per person (None: back to the national value)."""
    found = _grade(grade)
    if per_person_hundredths is not None and not 0 < per_person_hundredths <= MOST_PER_PERSON:
        raise AssetsError.STANDARD_INVALID.error()
    async with in_transaction() as conn:
        row = await AreaStandard.filter(grade=found.value).using_db(conn).select_for_update().first()
        before = row.per_person_hundredths if row else NATIONAL[found]
        if per_person_hundredths is None:
            if row is not None:
                await row.delete(using_db=conn)
            after = NATIONAL[found]
        else:
            if row is None:
                await AreaStandard.create(grade=found.value, per_person_hundredths=per_person_hundredths, using_db=conn)
            else:
                row.per_person_hundredths = per_person_hundredths
                await row.save(using_db=conn, update_fields=["per_person_hundredths", "updated_at"])
            after = per_person_hundredths
        await record(
            conn,
            actor,
            "assets.set_area_standard",
            "area_standard",
            GRADE_NUMBERS[found],
            {"grade": found.value, "per_person": places.area_text(before)},
            {"grade": found.value, "per_person": places.area_text(after)},
        )


def check(room: dict, standard: dict[places.OfficeGrade, int]) -> dict:
    """A room (as `places.rooms` gives it) against the standard: what it is allowed (the sum
    over its occupants), by how much it is over, and its flag."""
    allowed = sum(standard[places.OfficeGrade(o["grade"])] for o in room["occupants"])
    if room["use"] != places.RoomUse.OFFICE.value:
        flag = NOT_MEASURED
    elif not room["occupants"]:
        flag = VACANT
    else:
        flag = OVER if room["use_area"] > allowed else OK
    return {
        "allowed": allowed,
        "over_by": room["use_area"] - allowed if flag == OVER else 0,
        "flag": flag,
        "flag_label": FLAG_LABELS[flag],
    }


async def register(
    scope: Scope, building_id: int | None = None, unit_id: int | None = None, flag: str = ""
) -> list[dict]:
    """The registered rooms `scope` reaches (those of its units; vacant rooms only for the whole
    platform), each with its check and its unit's name; filtered by building, unit and flag."""
    reachable = await people.units_within(scope)
    wanted: list[int] | None = reachable
    if unit_id is not None:
        wanted = [unit_id] if reachable is None or unit_id in reachable else []
    rooms = [r for r in await places.rooms(wanted, building_id) if r["registered"]]
    standard = await per_person()
    names = await unit_names({r["unit_id"] for r in rooms if r["unit_id"]})
    found = []
    for room in rooms:
        checked = {**room, **check(room, standard)}
        checked["unit_name"] = names.get(room["unit_id"], "")
        if not flag or checked["flag"] == flag:
            found.append(checked)
    return found


async def unit_totals(scope: Scope) -> list[dict]:
    """Per unit, by unit code: its office rooms' use area, the people working in them, the area
    per person (hundredths of m², rounded down; None with nobody), and its rooms over standard."""
    totals: dict[int, dict[str, Any]] = {}
    for room in await register(scope):
        if room["unit_id"] is None or room["use"] != places.RoomUse.OFFICE.value:
            continue
        unit = totals.setdefault(
            room["unit_id"],
            {
                "unit_id": room["unit_id"],
                "unit_name": room["unit_name"],
                "rooms": 0,
                "office_area": 0,
                "people": set(),
                "rooms_over": 0,
                "rooms_vacant": 0,
            },
        )
        unit["rooms"] += 1
        unit["office_area"] += room["use_area"]
        # People, not occupant rows: someone registered in two offices counts once.
        unit["people"].update(o["person_id"] for o in room["occupants"])
        unit["rooms_over"] += room["flag"] == OVER
        unit["rooms_vacant"] += room["flag"] == VACANT
    codes = {u.id: u.code for u in (await people.units_by_id(totals)).values()}
    for unit in totals.values():
        unit["people"] = len(unit["people"])
        unit["unit_code"] = codes.get(unit["unit_id"], "")
        unit["area_per_person"] = unit["office_area"] // unit["people"] if unit["people"] else None
    return sorted(totals.values(), key=lambda u: u["unit_code"])
