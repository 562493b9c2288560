"""Official cars (公务用车) in the mini-program: the driver's trips (my trips, start with the
odometer, finish with the odometer and what was paid, in fen) and the passenger's confirmation
and rating of a finished trip. A driver is a cadre like any other: a trip not theirs is not found."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required
from backend.core.timeutil import now
from backend.core.web.apidocs import PAGING, Paged, Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.fleet.schemas import ConfirmationOut, DriverTripOut, TripConfirmIn, TripFinishIn, TripStartIn
from backend.fleet.service import trips

bp = Blueprint("mp_fleet", url_prefix="/fleet")
TITLE = "小程序·公务用车"


# ---- the driver's trips ------------------------------------------------------------------------


@bp.get("/driver/trips")
@api(
    "我的出车任务（分页）",
    Paged[DriverTripOut],
    query=(*PAGING, Query("which", "upcoming：待出车与行驶中；done：已收车；缺省为全部")),
)
@cadre_required
async def driver_trips(request: Request):
    which = request.args.get("which")
    return ok(
        await trips.my_trips(
            request.ctx.principal.person_id,
            which if which in ("upcoming", "done") else None,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )


@bp.get("/driver/trips/<trip_id:int>")
@api("出车任务详情", DriverTripOut)
@cadre_required
async def driver_trip(request: Request, trip_id: int):
    return ok(await trips.trip_of_driver(request.ctx.principal.person_id, trip_id))


@bp.post("/driver/trips/<trip_id:int>/start")
@api("出车（登记出车里程）", DriverTripOut)
@cadre_required
@accepts(TripStartIn)
async def start_trip(request: Request, trip_id: int, body: TripStartIn):
    return ok(await trips.start(request.ctx.principal.person_id, trip_id, body.odometer_km, now()))


@bp.post("/driver/trips/<trip_id:int>/finish")
@api("收车（登记收车里程与路桥、停车、油电费用，单位分）", DriverTripOut)
@cadre_required
@accepts(TripFinishIn)
async def finish_trip(request: Request, trip_id: int, body: TripFinishIn):
    return ok(
        await trips.finish(
            request.ctx.principal.person_id,
            trip_id,
            body.odometer_km,
            body.toll_fen,
            body.parking_fen,
            body.fuel_fen,
            now(),
        )
    )


# ---- the passenger -----------------------------------------------------------------------------


@bp.post("/requests/<request_id:int>/confirm")
@api("乘车人确认并评价", ConfirmationOut)
@cadre_required
@accepts(TripConfirmIn)
async def confirm_trip(request: Request, request_id: int, body: TripConfirmIn):
    return ok(await trips.confirm(request.ctx.principal.person_id, request_id, body.rating, body.comment, now()))
