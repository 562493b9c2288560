"""Cadre login: wx.login code → session, or a bind ticket; bind by WeChat phone; logout. How
cadres log in here (`/config`), and on the embedded default the stand-in of WeChat's codes for the
H5 build in a browser (`/standin/...`, refused everywhere else)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.errors import AccountsError
from backend.accounts.guards import bearer_token, cadre_required, rate_limited, runtime
from backend.accounts.schemas import (
    CadreBindIn,
    CadreLoginIn,
    CadreLoginOut,
    StandInCodeOut,
    StandInPhoneIn,
    WeChatLoginOut,
)
from backend.accounts.service import cadres
from backend.core.web.apidocs import Done, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.core.wechat_standin import WeChatStandIn
from backend.wallet.service import paycode

bp = Blueprint("mp_auth", url_prefix="/auth")
TITLE = "小程序·登录与绑定"


@bp.get("/config")
@api("登录方式（微信、演示用的微信替身或未配置）", WeChatLoginOut)
async def config(request: Request):
    wechat = runtime(request).cadre_auth.wechat
    if isinstance(wechat, WeChatStandIn):
        return ok({"wechat": "standin"})
    return ok({"wechat": "configured" if wechat.configured else "absent"})


def _stand_in(request: Request) -> WeChatStandIn:
    wechat = runtime(request).cadre_auth.wechat
    if not isinstance(wechat, WeChatStandIn):
        raise AccountsError.STANDIN_OFF.error()
    return wechat


@bp.post("/standin/login-code")
@api("演示登录：微信替身给出 wx.login 的 code（仅演示环境）", StandInCodeOut)
@rate_limited("api_rate_limit", "cadre_standin")
@accepts(StandInPhoneIn)
async def standin_login_code(request: Request, body: StandInPhoneIn):
    return ok({"code": _stand_in(request).issue_login_code(body.phone)})


@bp.post("/standin/phone-code")
@api("演示登录：微信替身给出手机号授权的 code（仅演示环境）", StandInCodeOut)
@rate_limited("api_rate_limit", "cadre_standin")
@accepts(StandInPhoneIn)
async def standin_phone_code(request: Request, body: StandInPhoneIn):
    return ok({"code": _stand_in(request).issue_phone_code(body.phone)})


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
