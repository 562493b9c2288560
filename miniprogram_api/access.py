"""Visitors (访客) in the mini-program, for the cadre as host: invite a visitor (the answer holds
the one-time link to send them), my visits, one visit, revoke it, and approve or refuse a
visitor's request or a walk-in waiting at the guard post. The host never gets a visit's pass
code: only the visitor shows it, so it cannot be handed on. Another host's visit is not found."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.access.schemas import BuildingOut, DecisionIn, HostVisitOut, InvitationOut, ReasonIn, VisitIn
from backend.access.service import visits
from backend.accounts.guards import cadre_required, runtime
from backend.core.timeutil import business_time, now
from backend.core.web.apidocs import PAGING, Listed, Paged, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.modules import settings_of

bp = Blueprint("mp_access", url_prefix="/access")
TITLE = "小程序·访客（被访人）"


def draft_of(body: VisitIn) -> visits.VisitDraft:
    return visits.VisitDraft(
        visitor_name=body.visitor_name,
        phone=body.phone,
        company=body.company,
        purpose=body.purpose,
        window_start=business_time(body.window_start),
        window_end=business_time(body.window_end),
        building_ids=body.building_ids,
        companions=body.companions,
        plate=body.plate,
    )


@bp.get("/buildings")
@api("可到访的楼宇", Listed[BuildingOut])
@cadre_required
async def buildings(request: Request):
    return ok({"items": await visits.building_choices()})


@bp.post("/visits")
@api("邀请访客（返回发给访客的一次性链接）", InvitationOut)
@cadre_required
@accepts(VisitIn)
async def invite(request: Request, body: VisitIn):
    rt = runtime(request)
    visit, link = await visits.invite(
        rt.cipher, settings_of(rt.settings, "access"), request.ctx.principal.person_id, draft_of(body), now()
    )
    return ok({"visit": visit, "link": link})


@bp.get("/visits")
@api("我的访客（我是被访人，最新在前）", Paged[HostVisitOut], query=PAGING)
@cadre_required
async def my_visits(request: Request):
    page, page_size = query_int(request, "page", 1, 1, 10_000), query_int(request, "page_size", 20, 1, 50)
    items, total = await visits.host_visits(runtime(request).cipher, request.ctx.principal.person_id, page, page_size)
    return ok({"items": items, "total": total, "page": page, "page_size": page_size})


@bp.get("/visits/<visit_id:int>")
@api("来访详情", HostVisitOut)
@cadre_required
async def detail(request: Request, visit_id: int):
    return ok(await visits.host_visit(runtime(request).cipher, request.ctx.principal.person_id, visit_id))


@bp.post("/visits/<visit_id:int>/revoke")
@api("撤销来访（通行证随之作废）", HostVisitOut)
@cadre_required
@accepts(ReasonIn)
async def revoke(request: Request, visit_id: int, body: ReasonIn):
    host_id = request.ctx.principal.person_id
    await visits.revoke(host_id, visit_id, body.reason, now())
    return ok(await visits.host_visit(runtime(request).cipher, host_id, visit_id))


@bp.post("/visits/<visit_id:int>/decision")
@api("同意或拒绝访客预约、门岗登记的访客", HostVisitOut)
@cadre_required
@accepts(DecisionIn)
async def decide(request: Request, visit_id: int, body: DecisionIn):
    rt = runtime(request)
    host_id = request.ctx.principal.person_id
    await visits.host_decide(settings_of(rt.settings, "access"), host_id, visit_id, body.approve, body.reason, now())
    return ok(await visits.host_visit(rt.cipher, host_id, visit_id))
