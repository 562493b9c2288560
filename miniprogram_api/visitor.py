"""The visitor's side in the mini-program (or its H5 page), without an account: the invitation
link is opened once for a visitor token, sent afterwards in the `X-Visitor-Token` header with the
visit's code in the path (the token must be that visit's). With it the visitor sees their visit,
completes their details (ID number) and shows the pass code, signed afresh each minute. A visitor
may also ask for a visit, naming the host. Every route is limited per address, as anyone can
call them."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.access.errors import AccessError
from backend.access.schemas import (
    BuildingOut,
    CompleteIn,
    LinkIn,
    PassTokenOut,
    VisitorSessionOut,
    VisitorVisitOut,
    VisitRequestIn,
)
from backend.access.service import passes, visits
from backend.accounts.guards import rate_limited, runtime
from backend.core.timeutil import now
from backend.core.web.apidocs import Listed, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.modules import settings_of
from miniprogram_api.access import draft_of

bp = Blueprint("mp_visitor", url_prefix="/visitor")
TITLE = "小程序·访客（来访人）"
HEADER = "X-Visitor-Token"


async def _visit(request: Request, code: str):
    """The visit of the request's visitor token, which must be the visit named in the path."""
    visit = await visits.by_visitor_token(request.headers.get(HEADER, "").strip())
    if visit.code != code:
        raise AccessError.VISITOR_TOKEN_INVALID.error()
    return visit


@bp.get("/buildings")
@api("可到访的楼宇", Listed[BuildingOut])
@rate_limited("api_rate_limit", "mp_visitor")
async def buildings(request: Request):
    return ok({"items": await visits.building_choices()})


@bp.post("/open")
@api("打开邀请链接（只能打开一次），换取访客凭证", VisitorSessionOut)
@rate_limited("api_rate_limit", "mp_visitor")
@accepts(LinkIn)
async def open_link(request: Request, body: LinkIn):
    visit, token = await visits.open_link(body.link, now())
    return ok({"visit": visit, "visitor_token": token})


@bp.post("/requests")
@api("访客预约：填写来访信息并指明被访人，等待被访人同意", VisitorSessionOut)
@rate_limited("api_rate_limit", "mp_visitor")
@accepts(VisitRequestIn)
async def request_visit(request: Request, body: VisitRequestIn):
    rt = runtime(request)
    visit, token = await visits.request_visit(
        rt.cipher,
        settings_of(rt.settings, "access"),
        draft_of(body),
        body.id_number,
        body.host_name,
        body.host_phone,
        now(),
    )
    return ok({"visit": visit, "visitor_token": token})


@bp.get("/visits/<code:str>")
@api("我的来访（请求头 X-Visitor-Token）", VisitorVisitOut)
@rate_limited("api_rate_limit", "mp_visitor")
async def my_visit(request: Request, code: str):
    return ok(await visits.visitor_view(await _visit(request, code)))


@bp.post("/visits/<code:str>/complete")
@api("填写身份证号完成登记，领取通行码（请求头 X-Visitor-Token）", VisitorVisitOut)
@rate_limited("api_rate_limit", "mp_visitor")
@accepts(CompleteIn)
async def complete(request: Request, code: str, body: CompleteIn):
    rt = runtime(request)
    token = request.headers.get(HEADER, "").strip()
    await _visit(request, code)
    return ok(
        await visits.complete(rt.cipher, settings_of(rt.settings, "access"), token, body.id_number, body.plate, now())
    )


@bp.get("/visits/<code:str>/pass")
@api("当前通行码（每分钟刷新；请求头 X-Visitor-Token）", PassTokenOut)
@rate_limited("api_rate_limit", "mp_visitor")
async def current_pass(request: Request, code: str):
    rt = runtime(request)
    visit = await _visit(request, code)
    return ok(await passes.current_token(rt.settings.data_key, settings_of(rt.settings, "access"), visit.id, now()))
