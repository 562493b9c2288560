"""The subscribe-message templates a cadre is asked to subscribe to, by the notice they carry."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, rate_limited, runtime
from backend.core.web.apidocs import api
from backend.core.web.responses import ok
from backend.notices import service
from backend.notices.schemas import NoticeTemplatesOut

bp = Blueprint("mp_notices", url_prefix="/notices")
TITLE = "小程序·订阅消息"


@bp.get("/templates")
@api("订阅消息模板（按通知名称；未配置的为空）", NoticeTemplatesOut)
@cadre_required
@rate_limited("api_rate_limit", "mp_notices", per_principal=True)
async def templates(request: Request):
    return ok({"templates": service.template_ids(runtime(request).settings)})
