"""Console page of staff cars (职工车辆): cars cadres registered in the mini-program waiting to be
approved with the hours they may enter (or refused), the approved ones (revoked when needed), and
each unit's monthly quota of staff-car entries with what it used this month."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.access.errors import AccessError
from backend.access.models import StaffVehicleState
from backend.access.pages.admin_common import attempt, whole_number
from backend.access.permissions import AccessPermission as P
from backend.access.service import vehicles
from backend.accounts.guards import actor
from backend.accounts.service import people
from backend.console.forms import FormErrors
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.permissions import Scope
from backend.core.timeutil import today

bp = Blueprint("console_access_vehicles", url_prefix="/console/access")

FLASH = {
    "approved": "已批准，车辆可在允许时段入场",
    "refused": "已不予批准",
    "revoked": "已撤销，车辆不再自动放行",
    "quota": "单位月度额度已保存",
}


def minute_of(text: str) -> int:
    """Minutes after midnight of "HH:MM" ("24:00" is the day's end); -1 for anything else, which
    the service refuses as hours_invalid."""
    hours, _, minutes = (text or "").strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(minutes) < 60):
        return -1
    return int(hours) * 60 + int(minutes)


def clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


async def _page(request: Request, status: int = 200, errors=None):
    listed = await vehicles.list_vehicles()
    return await page(
        request,
        "access/vehicles.html",
        status=status,
        pending=[v for v in listed if v["state"] == StaffVehicleState.PENDING.value],
        approved=[v for v in listed if v["state"] == StaffVehicleState.APPROVED.value],
        quotas=await vehicles.quotas(today().replace(day=1)),
        units=[(str(u["id"]), u["name"]) for u in await people.list_units(Scope.EVERYTHING, enabled_only=True)],
        clock=clock,
        flash=flash(request, FLASH),
        can_manage=can(request, P.MANAGE_VEHICLES),
        errors=errors or FormErrors(),
    )


@bp.get("/vehicles")
@console_page(P.VIEW_ACCESS)
async def vehicles_page(request: Request):
    return await _page(request)


@bp.post("/vehicles/<vehicle_id:int>/decide")
@console_page(P.MANAGE_VEHICLES)
async def decide(request: Request, vehicle_id: int):
    """approve=1 with the hours (from, to as HH:MM) approves; approve=0 refuses."""
    form = request.form or {}
    approve = form.get("approve") == "1"
    from_minute, to_minute = (minute_of(form.get("from", "")), minute_of(form.get("to", ""))) if approve else (0, 1440)
    _, errors = await attempt(
        vehicles.decide(actor(request), vehicle_id, approve, from_minute, to_minute, form.get("note", "").strip())
    )
    if not errors:
        return redirect(f"/console/access/vehicles?done={'approved' if approve else 'refused'}")
    return await _page(request, 422, errors)


@bp.post("/vehicles/<vehicle_id:int>/revoke")
@console_page(P.MANAGE_VEHICLES)
async def revoke(request: Request, vehicle_id: int):
    _, errors = await attempt(vehicles.revoke(actor(request), vehicle_id, (request.form or {}).get("note", "").strip()))
    if not errors:
        return redirect("/console/access/vehicles?done=revoked")
    return await _page(request, 422, errors)


@bp.post("/vehicles/quotas")
@console_page(P.MANAGE_VEHICLES)
async def set_quota(request: Request):
    form = request.form or {}
    unit_id = whole_number(form.get("unit_id"))
    if not unit_id:
        return await _page(request, 422, FormErrors({"": "请选择单位"}))
    _, errors = await attempt(
        vehicles.set_quota(actor(request), unit_id, whole_number(form.get("monthly_entries"), -1)),
        {AccessError.QUOTA_INVALID.code: "monthly_entries"},
    )
    if not errors:
        return redirect("/console/access/vehicles?done=quota")
    return await _page(request, 422, errors)
