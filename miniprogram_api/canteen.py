"""The cadre's canteen: canteens and menus, meal booking (报餐/报停), trips, meals, dish ratings."""

from __future__ import annotations

from datetime import date, timedelta

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, runtime
from backend.canteen.schemas import (
    BookingCancelIn,
    BookingIn,
    BookingOut,
    CanteenWithPeriodsOut,
    DailyMenusOut,
    MealOut,
    RatingIn,
    RatingOut,
    TripIn,
    TripOut,
)
from backend.canteen.service import booking, menus
from backend.canteen.service import canteens as service
from backend.core.errors import CommonError
from backend.core.permissions import Scope
from backend.core.timeutil import now, today
from backend.core.web.apidocs import JPEG, Listed, Query, api
from backend.core.web.responses import ok, private_image
from backend.core.web.validation import accepts, query_date

bp = Blueprint("mp_canteen", url_prefix="/canteen")
TITLE = "小程序·智慧食堂"


@bp.get("/canteens")
@api("食堂与餐次", Listed[CanteenWithPeriodsOut])
@cadre_required
async def canteens(request: Request):
    return ok(
        {
            "items": [
                {**c, "periods": await service.list_periods(c["code"], scope=Scope.EVERYTHING)}
                for c in await service.list_canteens(scope=Scope.EVERYTHING)
            ]
        }
    )


@bp.get("/menus")
@api(
    "某食堂某日的菜单",
    DailyMenusOut,
    query=(Query("canteen", "食堂编码", required=True), Query("date", "日期（YYYY-MM-DD），缺省为今天", date)),
)
@cadre_required
async def daily_menus(request: Request):
    canteen = request.args.get("canteen", "")[:32]
    return ok({"canteen": canteen, "menus": await menus.menus_of(canteen, query_date(request, "date", today()))})


@bp.get("/dishes/<dish_id:int>/photo")
@api("菜品照片", JPEG, query=(Query("size", "thumb：取缩略图"),))
@cadre_required
async def dish_photo(request: Request, dish_id: int):
    """The dish's photo for the menu (?size=thumb for the list)."""
    body = await menus.dish_photo(runtime(request).storage, dish_id, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg", max_age=86400)


@bp.get("/bookings")
@api(
    "我的报餐",
    Listed[BookingOut],
    query=(Query("from", "起始日期（YYYY-MM-DD）", date), Query("to", "截止日期（YYYY-MM-DD）", date)),
)
@cadre_required
async def my_bookings(request: Request):
    current_day = today()
    start = query_date(request, "from", current_day)
    if abs((start - current_day).days) > 366:
        raise CommonError.INVALID_INPUT.error(details={"fields": [{"field": "from", "message": "日期超出范围"}]})
    end = query_date(request, "to", start + timedelta(days=7))
    if end < start or (end - start).days > booking.MAX_DAYS_AHEAD + 31:
        raise CommonError.INVALID_INPUT.error(details={"fields": [{"field": "to", "message": "日期范围不正确"}]})
    return ok({"items": await booking.my_bookings(request.ctx.principal.person_id, start, end)})


@bp.post("/bookings")
@api("报餐", BookingOut)
@cadre_required
@accepts(BookingIn)
async def book(request: Request, body: BookingIn):
    return ok(await booking.book(request.ctx.principal.person_id, body.canteen, body.date, body.period, now()))


@bp.post("/bookings/cancel")
@api("取消报餐（报停）", BookingOut)
@cadre_required
@accepts(BookingCancelIn)
async def cancel(request: Request, body: BookingCancelIn):
    return ok(await booking.cancel(request.ctx.principal.person_id, body.date, body.period, now()))


@bp.post("/trips")
@api("出差报停", TripOut, status=201)
@cadre_required
@accepts(TripIn)
async def trip(request: Request, body: TripIn):
    """出差报停: every booking in the range is cancelled, and none can be made in it."""
    return ok(
        await booking.report_trip(request.ctx.principal.person_id, body.starts_on, body.ends_on, body.reason, now()),
        201,
    )


@bp.get("/meals")
@api("我的就餐记录", Listed[MealOut])
@cadre_required
async def my_meals(request: Request):
    return ok({"items": await menus.my_meals(request.ctx.principal.person_id)})


@bp.post("/ratings")
@api("评价菜品", RatingOut, status=201)
@cadre_required
@accepts(RatingIn)
async def rate(request: Request, body: RatingIn):
    return ok(
        await menus.rate(request.ctx.principal.person_id, body.payment_id, body.dish_id, body.score, body.comment), 201
    )
