"""The official-cars API for the vehicle-terminal platform (车载终端平台, signed device requests):
batches of the cars' positions. The platform speaks JT/T 808 to the cars itself; this API takes
what it forwards."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import device_signed
from backend.accounts.service.devices import DeviceKind
from backend.core.timeutil import now
from backend.core.web.apidocs import api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.fleet.errors import FleetError
from backend.fleet.schemas import PositionBatchIn
from backend.fleet.service import tracks

bp = Blueprint("fleet_device", url_prefix="/device/v1/fleet")


@bp.post("/positions")
@api("车载终端平台上传车辆定位")
@device_signed
@accepts(PositionBatchIn)
async def positions(request: Request, body: PositionBatchIn):
    """Up to 1000 positions (plate, at, lat, lng, speed in km/h, datum wgs84 or gcj02). The valid
    ones are stored once each (a retry adds nothing); `refused` names each invalid one by its
    index in the batch with the reason, so the platform need not resend those."""
    if request.ctx.principal.kind != DeviceKind.FLEET_PLATFORM:
        raise FleetError.DEVICE_NOT_PLATFORM.error()
    batch = [tracks.TerminalPosition(p.plate, p.at, p.lat, p.lng, p.speed, p.datum) for p in body.positions]
    return ok(await tracks.receive_positions(batch, now()))
