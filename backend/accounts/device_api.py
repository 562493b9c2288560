"""API for devices themselves (signed requests): heartbeats with their status."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import device_signed
from backend.accounts.schemas import HeartbeatIn
from backend.accounts.service import devices
from backend.core.web.apidocs import api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts

bp = Blueprint("accounts_device", url_prefix="/device/v1")


@bp.post("/heartbeat")
@api("设备心跳：上报状态，取回服务器时间")
@device_signed
@accepts(HeartbeatIn)
async def heartbeat(request: Request, body: HeartbeatIn):
    status = {**body.status, "app_version": body.app_version}
    return ok(await devices.record_heartbeat(request.ctx.principal, status))
