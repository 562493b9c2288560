"""The shop's API for canteen terminals (signed device requests) in pickup mode (取货核销): what
a scanned pickup QR names, and handing the order over once staff confirm it."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import device_signed
from backend.accounts.service import devices
from backend.canteen.service.terminal_settings import terminal_config
from backend.core.timeutil import now
from backend.core.web.apidocs import api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.shop.schemas import PickupConfirmIn, PickupLookupIn, PickupOut
from backend.shop.service import pickup

bp = Blueprint("shop_device", url_prefix="/device/v1/shop/pickups")


async def _place(device_id: int) -> tuple[str, str]:
    """(place, by) recorded on an order handed over at this terminal: its canteen and its name.
    Only a canteen's terminal hands goods over (another device is refused by terminal_config)."""
    config = await terminal_config(device_id)
    device = await devices.get_device(device_id)
    return f"{config.canteen_name} {device['name']}", f"终端 {device['code']}"


@bp.post("/lookup")
@api("终端扫取货码查看订单", PickupOut)
@device_signed
@accepts(PickupLookupIn)
async def lookup(request: Request, body: PickupLookupIn):
    """The order a scanned QR (or typed code) names: lines, masked name, state, and whether it
    can be handed over now, with the reason in words if not."""
    await _place(request.ctx.principal.device_id)
    return ok(await pickup.lookup(body.code))


@bp.post("/confirm")
@api("终端确认交付", PickupOut)
@device_signed
@accepts(PickupConfirmIn)
async def confirm(request: Request, body: PickupConfirmIn):
    """Hand the order over once; 409 `shop.already_picked_up` says when and where it already was,
    and other refusals (refund under way, not arrived) say why in words."""
    place, by = await _place(request.ctx.principal.device_id)
    return ok(await pickup.hand_over(body.order_no, pickup.code_of(body.code), place, by, now()))
