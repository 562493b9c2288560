"""The cadre's own profile (phone masked) and the parts they play in the modules."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, rate_limited, runtime
from backend.accounts.schemas import CadreProfileOut
from backend.accounts.service import cadres
from backend.core.web.apidocs import api
from backend.core.web.responses import ok

bp = Blueprint("mp_profile", url_prefix="/me")
TITLE = "小程序·个人信息"


@bp.get("")
@api("我的信息（手机号已脱敏）与我在各模块的角色", CadreProfileOut)
@cadre_required
@rate_limited("api_rate_limit", "mp_me")
async def me(request: Request):
    return ok(await cadres.profile(runtime(request).cadre_auth, request.ctx.principal))
