"""Stand-in (helper A) for C's staff cars: decide, revoke, list, quotas with the documented signatures."""

from __future__ import annotations

from datetime import date

from tortoise.transactions import in_transaction

from backend.access.errors import AccessError
from backend.access.models import StaffVehicle, StaffVehicleState, UnitQuota
from backend.core.audit import Actor, record
from backend.core.timeutil import now


def _view(v: StaffVehicle) -> dict:
    return {
        "id": v.id,
        "plate": v.plate,
        "person_name": v.person.name,
        "unit_name": v.unit.name,
        "state": v.state.value,
        "state_label": v.state.label,
        "from_minute": v.from_minute,
        "to_minute": v.to_minute,
        "note": v.note,
    }


ACTIONS = {"decide": "access.decide_vehicle", "revoke": "access.revoke_vehicle"}


async def _decided(actor, vehicle_id, state, note, verb, **changes) -> dict:
    action = ACTIONS[verb]
    async with in_transaction() as conn:
        v = await StaffVehicle.filter(id=vehicle_id).using_db(conn).get_or_none()
        if v is None:
            raise AccessError.VEHICLE_NOT_FOUND.error()
        v.state, v.note, v.decided_by_id, v.decided_at = state, note, actor.admin_id, now()
        for k, value in changes.items():
            setattr(v, k, value)
        await v.save(using_db=conn)
        await record(conn, actor, action, "vehicle", vehicle_id)
    await v.fetch_related("person", "unit")
    return _view(v)


async def decide(actor: Actor, vehicle_id: int, approve: bool, from_minute: int, to_minute: int, note: str) -> dict:
    if approve and not 0 <= from_minute < to_minute <= 1440:
        raise AccessError.HOURS_INVALID.error(problem="结束须晚于开始")
    state = StaffVehicleState.APPROVED if approve else StaffVehicleState.REFUSED
    return await _decided(actor, vehicle_id, state, note, "decide", from_minute=from_minute, to_minute=to_minute)


async def revoke(actor: Actor, vehicle_id: int, note: str) -> dict:
    return await _decided(actor, vehicle_id, StaffVehicleState.REVOKED, note, "revoke")


async def list_vehicles(state=None) -> list[dict]:
    query = StaffVehicle.filter(state=state) if state else StaffVehicle.all()
    return [_view(v) for v in await query.select_related("person", "unit").order_by("-id")]


async def set_quota(actor: Actor, unit_id: int, monthly_entries: int) -> dict:
    if not 0 <= monthly_entries <= 100000:
        raise AccessError.QUOTA_INVALID.error()
    async with in_transaction() as conn:
        await UnitQuota.update_or_create(defaults={"monthly_entries": monthly_entries}, unit_id=unit_id, using_db=conn)
        await record(conn, actor, "access.set_quota", "unit", unit_id)
    return {"unit_id": unit_id, "monthly_entries": monthly_entries}


async def quotas(month: date) -> list[dict]:
    return [
        {"unit_id": q.unit_id, "unit_name": q.unit.name, "monthly_entries": q.monthly_entries, "used": 0}
        for q in await UnitQuota.all().select_related("unit").order_by("unit_id")
    ]
