"""Staff cars: a cadre registers their own car in the mini-program, the gate's staff approve it with
the hours it may enter (or refuse, or later revoke it), and each unit's cars share a monthly entry
quota. A unit without a quota is not capped. Entries are counted from the access log (allowed IN
events of staff cars for the unit this month), so the count cannot drift from what happened."""

from __future__ import annotations

from datetime import date, datetime

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import (
    AccessEvent,
    Direction,
    StaffVehicle,
    StaffVehicleState,
    SubjectKind,
    UnitQuota,
)
from backend.access.service import personal
from backend.accounts.service import people
from backend.core import audit
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, business_time, now

NOTE_MAX = 200
QUOTA_MAX = 100_000
DAY_MINUTES = 24 * 60
# A plate held by one of these cannot be registered again (by anyone).
_LIVE = (StaffVehicleState.PENDING, StaffVehicleState.APPROVED)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def vehicle_view(vehicle: StaffVehicle, person_name: str = "", unit_name: str = "") -> dict:
    return {
        "id": vehicle.id,
        "plate": vehicle.plate,
        "person_id": vehicle.person_id,
        "person_name": person_name,
        "unit_id": vehicle.unit_id,
        "unit_name": unit_name,
        "state": vehicle.state.value,
        "state_label": vehicle.state.label,
        "from_minute": vehicle.from_minute,
        "to_minute": vehicle.to_minute,
        "hours": f"{_clock(vehicle.from_minute)}–{_clock(vehicle.to_minute)}",
        "note": vehicle.note,
        "decided_at": vehicle.decided_at.isoformat() if vehicle.decided_at else None,
        "created_at": vehicle.created_at.isoformat() if vehicle.created_at else None,
    }


def _audited(vehicle: StaffVehicle) -> dict:
    # The staff car's plate is the audit's subject: the gate's staff approve by it.
    return {
        "plate": vehicle.plate,
        "state": vehicle.state.value,
        "state_label": vehicle.state.label,
        "from_minute": vehicle.from_minute,
        "to_minute": vehicle.to_minute,
        "note": vehicle.note,
    }


async def _views(vehicles: list[StaffVehicle]) -> list[dict]:
    persons = {p.id: p.name for p in await people.people_summaries(v.person_id for v in vehicles)}
    units = await people.units_by_id({v.unit_id for v in vehicles})
    return [
        vehicle_view(v, persons.get(v.person_id, ""), units[v.unit_id].name if v.unit_id in units else "")
        for v in vehicles
    ]


def _note(raw: str | None) -> str:
    note = (raw or "").strip()
    if len(note) > NOTE_MAX:
        raise AccessError.TEXT_TOO_LONG.error(field="备注", most=NOTE_MAX)
    return note


def check_hours(from_minute: int, to_minute: int) -> tuple[int, int]:
    """Minutes after midnight; a window from late to early runs overnight (22:00–06:00)."""
    if not (isinstance(from_minute, int) and isinstance(to_minute, int)):
        raise AccessError.HOURS_INVALID.error(problem="应为整点或分钟数")
    if not (0 <= from_minute < DAY_MINUTES and 0 < to_minute <= DAY_MINUTES):
        raise AccessError.HOURS_INVALID.error(problem="时间应在 00:00 到 24:00 之间")
    if from_minute == to_minute:
        raise AccessError.HOURS_INVALID.error(problem="开始与结束不能相同")
    return from_minute, to_minute


def within_hours(vehicle: StaffVehicle, at: datetime) -> bool:
    local = business_time(at)
    minute = local.hour * 60 + local.minute
    if vehicle.from_minute < vehicle.to_minute:
        return vehicle.from_minute <= minute < vehicle.to_minute
    return minute >= vehicle.from_minute or minute < vehicle.to_minute


def month_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=BUSINESS_TZ)


def _next_month(day: date) -> datetime:
    return datetime(day.year + day.month // 12, day.month % 12 + 1, 1, tzinfo=BUSINESS_TZ)


def _entries_in(month: date):
    """Allowed entries of staff cars in the calendar month of `month` (business time)."""
    return AccessEvent.filter(
        subject=SubjectKind.STAFF_CAR,
        direction=Direction.IN,
        allowed=True,
        at__gte=month_start(month),
        at__lt=_next_month(month),
    )


async def quota_left(conn, unit_id: int, at: datetime) -> int | None:
    """Entries the unit's cars may still make this month; None when the unit has no quota."""
    quota = await UnitQuota.get_or_none(unit_id=unit_id).using_db(conn)
    if quota is None:
        return None
    used = await _entries_in(business_time(at).date()).filter(unit_id=unit_id).using_db(conn).count()
    return max(quota.monthly_entries - used, 0)


async def approved_for(conn, plate: str) -> StaffVehicle | None:
    """The approved car of this plate, while its owner is still an active person on the roster
    (a cadre who has left no longer brings their car in, approved or not)."""
    vehicle = await StaffVehicle.get_or_none(plate=plate, state=StaffVehicleState.APPROVED).using_db(conn)
    if vehicle is None:
        return None
    try:
        owner = await people.person_summary(vehicle.person_id, using_db=conn)
    except AppError:
        return None
    return vehicle if owner.is_active else None


# ---- the cadre's own cars (mini-program) --------------------------------------------------------


async def register(person_id: int, raw_plate: str, note: str) -> dict:
    plate = personal.check_plate(raw_plate)
    note = _note(note)
    person = await people.person_summary(person_id)
    async with in_transaction() as conn:
        if await StaffVehicle.filter(plate=plate, state__in=_LIVE).using_db(conn).exists():
            raise AccessError.VEHICLE_REGISTERED.error(plate=personal.mask_plate(plate))
        vehicle = await StaffVehicle.create(
            using_db=conn,
            plate=plate,
            person_id=person_id,
            unit_id=person.unit_id,
            state=StaffVehicleState.PENDING,
            note=note,
        )
    return (await _views([vehicle]))[0]


async def of_person(person_id: int) -> list[dict]:
    return await _views(await StaffVehicle.filter(person_id=person_id).order_by("-id"))


async def withdraw(person_id: int, vehicle_id: int) -> None:
    """The cadre takes back their own car's registration, pending or approved."""
    async with in_transaction() as conn:
        vehicle = (
            await StaffVehicle.filter(id=vehicle_id, person_id=person_id).using_db(conn).select_for_update().first()
        )
        if vehicle is None:
            raise AccessError.VEHICLE_NOT_FOUND.error()
        if vehicle.state not in _LIVE:
            raise AccessError.VEHICLE_STATE.error(state=vehicle.state.label, action="撤回")
        vehicle.state = StaffVehicleState.REVOKED
        vehicle.decided_at = now()
        await vehicle.save(using_db=conn, update_fields=["state", "decided_at"])


# ---- the gate's staff (console) ----------------------------------------------------------------


async def _locked(conn, vehicle_id: int) -> StaffVehicle:
    vehicle = await StaffVehicle.filter(id=vehicle_id).using_db(conn).select_for_update().first()
    if vehicle is None:
        raise AccessError.VEHICLE_NOT_FOUND.error()
    return vehicle


async def decide(actor: Actor, vehicle_id: int, approve: bool, from_minute: int, to_minute: int, note: str) -> dict:
    note = _note(note)
    if approve:
        from_minute, to_minute = check_hours(from_minute, to_minute)
    async with in_transaction() as conn:
        vehicle = await _locked(conn, vehicle_id)
        if vehicle.state != StaffVehicleState.PENDING:
            raise AccessError.VEHICLE_STATE.error(state=vehicle.state.label, action="审核")
        before = _audited(vehicle)
        vehicle.state = StaffVehicleState.APPROVED if approve else StaffVehicleState.REFUSED
        if approve:
            vehicle.from_minute, vehicle.to_minute = from_minute, to_minute
        vehicle.note = note or vehicle.note
        vehicle.decided_by_id = actor.admin_id
        vehicle.decided_at = now()
        await vehicle.save(using_db=conn)
        await audit.record(conn, actor, "access.decide_vehicle", "staff_vehicle", vehicle.id, before, _audited(vehicle))
    return (await _views([vehicle]))[0]


async def revoke(actor: Actor, vehicle_id: int, note: str) -> dict:
    note = _note(note)
    async with in_transaction() as conn:
        vehicle = await _locked(conn, vehicle_id)
        if vehicle.state not in _LIVE:
            raise AccessError.VEHICLE_STATE.error(state=vehicle.state.label, action="撤销")
        before = _audited(vehicle)
        vehicle.state = StaffVehicleState.REVOKED
        vehicle.note = note or vehicle.note
        vehicle.decided_by_id = actor.admin_id
        vehicle.decided_at = now()
        await vehicle.save(using_db=conn)
        await audit.record(conn, actor, "access.revoke_vehicle", "staff_vehicle", vehicle.id, before, _audited(vehicle))
    return (await _views([vehicle]))[0]


async def list_vehicles(state: StaffVehicleState | None = None) -> list[dict]:
    query = StaffVehicle.all() if state is None else StaffVehicle.filter(state=state)
    return await _views(await query.order_by("-id"))


async def set_quota(actor: Actor, unit_id: int, monthly_entries: int) -> dict:
    if not isinstance(monthly_entries, int) or isinstance(monthly_entries, bool):
        raise AccessError.QUOTA_INVALID.error()
    if not 0 <= monthly_entries <= QUOTA_MAX:
        raise AccessError.QUOTA_INVALID.error()
    units = await people.units_by_id([unit_id])
    if unit_id not in units:
        raise AccessError.QUOTA_UNIT_NOT_FOUND.error()
    async with in_transaction() as conn:
        quota = await UnitQuota.filter(unit_id=unit_id).using_db(conn).select_for_update().first()
        before = None if quota is None else {"monthly_entries": quota.monthly_entries}
        if quota is None:
            quota = await UnitQuota.create(using_db=conn, unit_id=unit_id, monthly_entries=monthly_entries)
        else:
            quota.monthly_entries = monthly_entries
            await quota.save(using_db=conn, update_fields=["monthly_entries", "updated_at"])
        await audit.record(
            conn, actor, "access.set_quota", "unit", unit_id, before, {"monthly_entries": monthly_entries}
        )
    return {"unit_id": unit_id, "unit_name": units[unit_id].name, "monthly_entries": monthly_entries}


async def quotas(month: date) -> list[dict]:
    """Each unit with a quota or with staff-car entries in `month`: its quota (None: not capped)
    and the entries used."""
    used: dict[int, int] = {}
    for row in await _entries_in(month).values("unit_id"):
        used[row["unit_id"]] = used.get(row["unit_id"], 0) + 1
    limits = {q.unit_id: q.monthly_entries for q in await UnitQuota.all()}
    unit_ids = sorted(set(used) | set(limits))
    units = await people.units_by_id(unit_ids)
    return [
        {
            "unit_id": unit_id,
            "unit_name": units[unit_id].name if unit_id in units else "",
            "quota": limits.get(unit_id),
            "used": used.get(unit_id, 0),
        }
        for unit_id in unit_ids
    ]
