"""The cadre's requests for an official car (用车申请): the form's choices, file, follow, cancel
until dispatch."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required
from backend.core.timeutil import now
from backend.core.web.apidocs import PAGING, Listed, Paged, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.fleet.errors import FleetError
from backend.fleet.models import Purpose
from backend.fleet.schemas import CarRequestIn, CarRequestOut, PurposeOut
from backend.fleet.service import requests as service

bp = Blueprint("mp_fleet_requests", url_prefix="/fleet/requests")
TITLE = "小程序·用车申请"


@bp.get("/purposes")
@api("用车事由分类", Listed[PurposeOut])
@cadre_required
async def purposes(request: Request):
    return ok({"items": [{"value": p.value, "label": p.label} for p in Purpose]})


@bp.post("")
@api("提交用车申请", CarRequestOut, status=(201, 200))
@cadre_required
@accepts(CarRequestIn)
async def submit(request: Request, body: CarRequestIn):
    """201 with the new request in its approval; 200 with the request already filed under the
    same client_ref."""
    try:
        purpose = Purpose(body.purpose)
    except ValueError:
        raise FleetError.PURPOSE_INVALID.error() from None
    form = service.RequestForm(
        purpose=purpose,
        **body.model_dump(exclude={"client_ref", "purpose"}),
    )
    found, created = await service.submit(request.ctx.principal.person_id, body.client_ref, form, now())
    return ok(found, 201 if created else 200)


@bp.get("")
@api("我的用车申请（分页）", Paged[CarRequestOut], query=PAGING)
@cadre_required
async def mine(request: Request):
    return ok(
        await service.mine(
            request.ctx.principal.person_id,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )


@bp.get("/<request_id:int>")
@api("用车申请详情（审批进度、派车结果）", CarRequestOut)
@cadre_required
async def detail(request: Request, request_id: int):
    return ok(await service.detail(request.ctx.principal.person_id, request_id))


@bp.post("/<request_id:int>/cancel")
@api("取消用车申请（派车前）", CarRequestOut)
@cadre_required
async def cancel(request: Request, request_id: int):
    return ok(await service.cancel(request.ctx.principal.person_id, request_id, now()))
