"""The cadre's pickup QR for a paid order of the produce shop (取货码), shown at the canteen."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required
from backend.core.web.apidocs import File, api
from backend.core.web.responses import private_image
from backend.shop.service import pickup

bp = Blueprint("mp_shop_pickup", url_prefix="/shop/orders")
TITLE = "小程序·食味坊取货"

PNG = File("image/png", "PNG 图片")


@bp.get("/<order_no:str>/pickup-qr")
@api("订单取货二维码", PNG)
@cadre_required
async def pickup_qr(request: Request, order_no: str):
    """The QR the canteen's scanner reads (it holds the order number and the 8-digit pickup code,
    shown beside it in the order); only for the cadre's own paid order, never cached elsewhere."""
    return private_image(await pickup.pickup_qr(request.ctx.principal.person_id, order_no), "image/png", max_age=0)
