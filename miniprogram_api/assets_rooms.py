"""A unit's asset officer asks for an office room (办公用房调剂): the units they act for, the
vacant rooms, a request into the approval chain, their requests, and withdrawing one."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required
from backend.assets.schemas import OfficerUnitOut, RoomTransferIn, RoomTransferOut, VacantRoomOut
from backend.assets.service import officers, transfers
from backend.core.timeutil import now
from backend.core.web.apidocs import Listed, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts

bp = Blueprint("mp_assets_rooms", url_prefix="/assets/rooms")
TITLE = "小程序·办公用房调剂"


@bp.get("/units")
@api("我可代为申请的单位（资产管理员）", Listed[OfficerUnitOut])
@cadre_required
async def my_units(request: Request):
    units = await officers.units_of(request.ctx.principal.person_id)
    return ok({"items": [{"id": u.id, "code": u.code, "name": u.name} for u in units]})


@bp.get("/vacant")
@api("可申请的空置房间（面积单位：百分之一平方米）", Listed[VacantRoomOut])
@cadre_required
async def vacant(request: Request):
    # Only asset officers ask for rooms: anyone else learns nothing of the register.
    units = await officers.units_of(request.ctx.principal.person_id)
    if not units:
        return ok({"items": []})
    return ok({"items": await transfers.vacant_rooms({u.id for u in units})})


@bp.post("/requests")
@api("申请调剂房间", RoomTransferOut, status=(201, 200))
@cadre_required
@accepts(RoomTransferIn)
async def submit(request: Request, body: RoomTransferIn):
    """201 with the new request in its approval; 200 with the request already filed under the
    same client_ref."""
    found, created = await transfers.request(
        request.ctx.principal.person_id, body.client_ref, body.place_id, body.unit_id, body.reason, now()
    )
    return ok(found, 201 if created else 200)


@bp.get("/requests")
@api("我的用房调剂申请", Listed[RoomTransferOut])
@cadre_required
async def mine(request: Request):
    return ok({"items": await transfers.mine(request.ctx.principal.person_id)})


@bp.get("/requests/<transfer_id:int>")
@api("用房调剂申请详情", RoomTransferOut)
@cadre_required
async def detail(request: Request, transfer_id: int):
    return ok(await transfers.detail(request.ctx.principal.person_id, transfer_id))


@bp.post("/requests/<transfer_id:int>/cancel")
@api("撤回用房调剂申请（审批中）", RoomTransferOut)
@cadre_required
async def cancel(request: Request, transfer_id: int):
    return ok(await transfers.cancel(request.ctx.principal.person_id, transfer_id, now()))
