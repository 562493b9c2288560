"""Disposal requests in the mini-program, for units' asset officers: the methods, asking to
dispose of an asset (by the number on its label), their requests with the approval's progress,
and withdrawing one still in approval."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required
from backend.assets.models import DisposalMethod
from backend.assets.schemas import ChoiceOut, DisposalIn, DisposalOut
from backend.assets.service import disposals
from backend.core.timeutil import now
from backend.core.web.apidocs import PAGING, Listed, Paged, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int

bp = Blueprint("mp_assets_disposals", url_prefix="/assets/disposals")
TITLE = "小程序·资产处置"


@bp.get("/methods")
@api("处置方式", Listed[ChoiceOut])
@cadre_required
async def methods(request: Request):
    return ok({"items": [{"value": m.value, "label": m.label} for m in DisposalMethod]})


@bp.post("")
@api("申请处置资产", DisposalOut, status=(201, 200))
@cadre_required
@accepts(DisposalIn)
async def submit(request: Request, body: DisposalIn):
    """201 with the new request (the asset now 待处置); 200 with the one already filed under the
    same client_ref; 409 assets.client_ref_reused when that one was for another asset or method."""
    found, created = await disposals.request_disposal(
        request.ctx.principal.person_id, body.client_ref, body.asset_no, DisposalMethod(body.method), body.reason, now()
    )
    return ok(found, 201 if created else 200)


@bp.get("")
@api("我的处置申请（分页）", Paged[DisposalOut], query=PAGING)
@cadre_required
async def mine(request: Request):
    return ok(
        await disposals.mine(
            request.ctx.principal.person_id,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )


@bp.get("/<disposal_id:int>")
@api("处置申请详情（审批进度、处置结果）", DisposalOut)
@cadre_required
async def detail(request: Request, disposal_id: int):
    return ok(await disposals.detail(request.ctx.principal.person_id, disposal_id))


@bp.post("/<disposal_id:int>/cancel")
@api("撤回处置申请（审批中）", DisposalOut)
@cadre_required
async def cancel(request: Request, disposal_id: int):
    return ok(await disposals.cancel(request.ctx.principal.person_id, disposal_id, now()))
