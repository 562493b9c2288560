"""Cadre login: wx.login code → session, or a bind ticket; bind by WeChat phone; logout."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import bearer_token, cadre_required, rate_limited, runtime
from backend.accounts.schemas import CadreBindIn, CadreLoginIn, CadreLoginOut
from backend.accounts.service import cadres
from backend.core.web.apidocs import Done, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.wallet.service import paycode

bp = Blueprint("mp_auth", url_prefix="/auth")
TITLE = "小程序·登录与绑定"


@bp.post("/login")
@api("微信登录（wx.login 的 code 换会话）", CadreLoginOut)
@rate_limited("api_rate_limit", "cadre_login")
@accepts(CadreLoginIn)
async def login(request: Request, body: CadreLoginIn):
    """`bound: true` with a session token, or `bound: false` with a bind ticket for /auth/bind."""
    return ok(await cadres.login(runtime(request).cadre_auth, body.code))


@bp.post("/bind")
@api("以微信手机号绑定人员身份", CadreLoginOut)
@rate_limited("api_rate_limit", "cadre_bind")
@accepts(CadreBindIn)
async def bind(request: Request, body: CadreBindIn):
    return ok(await cadres.bind(runtime(request).cadre_auth, body.bind_ticket, body.phone_code))


@bp.post("/logout")
@api("退出登录", Done)
@cadre_required
async def logout(request: Request):
    rt = runtime(request)
    token = bearer_token(request)
    await paycode.revoke_session_key(rt.redis, rt.cadre_auth.sessions.session_key(token))
    await cadres.logout(rt.cadre_auth, token)
    return ok({"ok": True})
