"""Staff cars in the mini-program, for cadres: register one's own car for the vehicle gates (the
gate's staff approve it with its hours), see one's cars and their state, withdraw one."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.access.schemas import StaffVehicleIn, StaffVehicleOut
from backend.access.service import vehicles
from backend.accounts.guards import cadre_required
from backend.core.web.apidocs import Done, Listed, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts

bp = Blueprint("mp_access_vehicles", url_prefix="/access/vehicles")
TITLE = "小程序·职工车辆登记"


@bp.post("")
@api("登记本人车辆（待门禁管理员审核）", StaffVehicleOut, status=201)
@cadre_required
@accepts(StaffVehicleIn)
async def register(request: Request, body: StaffVehicleIn):
    """422 access.plate_invalid for a plate that is none; 409 access.vehicle_registered when the
    plate is already pending or approved (for anyone)."""
    return ok(await vehicles.register(request.ctx.principal.person_id, body.plate, body.note), 201)


@bp.get("")
@api("我的车辆登记", Listed[StaffVehicleOut])
@cadre_required
async def mine(request: Request):
    return ok({"items": await vehicles.of_person(request.ctx.principal.person_id)})


@bp.post("/<vehicle_id:int>/withdraw")
@api("撤回车辆登记（待审核或已批准）", Done)
@cadre_required
async def withdraw(request: Request, vehicle_id: int):
    """404 access.vehicle_not_found for another cadre's car; 409 access.vehicle_state when it
    was refused or revoked already."""
    await vehicles.withdraw(request.ctx.principal.person_id, vehicle_id)
    return ok({"ok": True})
