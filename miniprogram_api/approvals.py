"""The cadre's approvals (审批): what waits for their decision, an approval's steps, and deciding
the step that waits. Only approver people decide: no console route does."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required
from backend.approvals import service
from backend.approvals.schemas import ApprovalOut, DecideIn
from backend.core.timeutil import now
from backend.core.web.apidocs import Listed, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts

bp = Blueprint("mp_approvals", url_prefix="/approvals")
TITLE = "小程序·审批"


@bp.get("/pending")
@api("待我审批", Listed[ApprovalOut])
@cadre_required
async def pending(request: Request):
    views = await service.pending_for(request.ctx.principal.person_id)
    return ok({"items": [v.json() for v in views]})


@bp.get("/<approval_id:int>")
@api("审批详情（申请人与审批人可见）", ApprovalOut)
@cadre_required
async def detail(request: Request, approval_id: int):
    return ok((await service.visible_to(approval_id, request.ctx.principal.person_id)).json())


@bp.post("/<approval_id:int>/decide")
@api("审批（同意或驳回）", ApprovalOut)
@cadre_required
@accepts(DecideIn)
async def decide(request: Request, approval_id: int, body: DecideIn):
    person_id = request.ctx.principal.person_id
    view = await service.decide(approval_id, body.position, person_id, body.approve, body.comment, now())
    return ok(view.json())
