"""A checker's stock-taking in the mini-program (资产盘点): the open tasks they check, a room
entered by scanning its QR code at the door, the labels scanned in it, and the room submitted."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, runtime
from backend.assets.schemas import StocktakeCodeIn, StocktakeRoomOut, StocktakeScanOut, StocktakeTaskOut
from backend.assets.service import stocktakes
from backend.core.timeutil import now
from backend.core.web.apidocs import Listed, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts
from backend.modules import settings_of

bp = Blueprint("mp_assets_stocktake", url_prefix="/assets/stocktakes")
TITLE = "小程序·资产盘点"


def _qr_base(request: Request) -> str:
    return settings_of(runtime(request).settings, "assets").qr_base_url


@bp.get("")
@api("我的盘点任务（进行中）", Listed[StocktakeTaskOut])
@cadre_required
async def mine(request: Request):
    return ok({"items": await stocktakes.my_tasks(request.ctx.principal.person_id)})


@bp.post("/<stocktake_id:int>/room")
@api("扫描房间二维码，进入房间", StocktakeRoomOut)
@cadre_required
@accepts(StocktakeCodeIn)
async def enter_room(request: Request, stocktake_id: int, body: StocktakeCodeIn):
    """The room named by the QR code at its door, with what is expected there."""
    return ok(await stocktakes.enter_room(request.ctx.principal.person_id, stocktake_id, _qr_base(request), body.code))


@bp.get("/<stocktake_id:int>/rooms/<place_id:int>")
@api("房间的应盘资产与已扫标签", StocktakeRoomOut)
@cadre_required
async def room(request: Request, stocktake_id: int, place_id: int):
    return ok(await stocktakes.room_view(request.ctx.principal.person_id, stocktake_id, place_id))


@bp.post("/<stocktake_id:int>/rooms/<place_id:int>/scans")
@api("在房间内扫描资产标签", StocktakeScanOut)
@cadre_required
@accepts(StocktakeCodeIn)
async def scan(request: Request, stocktake_id: int, place_id: int, body: StocktakeCodeIn):
    """Recorded once per code and room: scanning it again answers `replayed`. Another system's
    label is recorded as a find (盘盈), not refused."""
    found = await stocktakes.scan(
        request.ctx.principal.person_id, stocktake_id, place_id, _qr_base(request), body.code, now()
    )
    return ok(found)


@bp.post("/<stocktake_id:int>/rooms/<place_id:int>/submit")
@api("提交房间盘点结果", StocktakeRoomOut)
@cadre_required
async def submit(request: Request, stocktake_id: int, place_id: int):
    return ok(await stocktakes.submit_room(request.ctx.principal.person_id, stocktake_id, place_id, now()))
