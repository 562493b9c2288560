"""Console API of the canteen module: canteens, periods and prices, terminals, dishes,
payments and refunds, daily report (JSON and .xlsx). Each route acts only on the canteens its
permission reaches for the admin (a role may be granted over one canteen)."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required, runtime, scope
from backend.canteen.models import PaymentStatus
from backend.canteen.permissions import CanteenPermission
from backend.canteen.schemas import (
    BoundTerminalOut,
    CanteenCreateIn,
    CanteenOut,
    CanteenUpdateIn,
    CreatedDishOut,
    DailyReportOut,
    DishIn,
    DishOut,
    DishRatingsOut,
    KitchenCountsOut,
    MenuIn,
    MenuOut,
    NoShowsOut,
    PaymentOut,
    PeriodIn,
    PeriodOut,
    RefundIn,
    RefundOut,
    TerminalBindIn,
    TerminalOut,
)
from backend.canteen.service import booking, menus, reports
from backend.canteen.service import canteens as service
from backend.core.errors import CommonError
from backend.core.timeutil import today
from backend.core.web.apidocs import PAGING, XLSX, Listed, Paged, Query, api
from backend.core.web.responses import ok, xlsx_download
from backend.core.web.validation import accepts, query_date, query_int, uploaded_file

bp = Blueprint("canteen_admin", url_prefix="/admin/v1/canteen")

VIEW, MANAGE, REFUND = (
    CanteenPermission.VIEW_PAYMENT,
    CanteenPermission.MANAGE_CANTEEN,
    CanteenPermission.REFUND_PAYMENT,
)


@bp.get("/canteens")
@api("食堂列表", Listed[CanteenOut])
@admin_required(VIEW)
async def list_canteens(request: Request):
    return ok({"items": await service.list_canteens(scope=scope(request, VIEW))})


@bp.post("/canteens")
@api("新建食堂", CanteenOut, status=201)
@admin_required(MANAGE)
@accepts(CanteenCreateIn)
async def create_canteen(request: Request, body: CanteenCreateIn):
    return ok(
        await service.create_canteen(
            actor(request),
            body.code,
            body.name,
            body.location,
            body.max_payment_fen,
            scope=scope(request, MANAGE),
        ),
        201,
    )


@bp.put("/canteens/<code:str>")
@api("修改食堂", CanteenOut)
@admin_required(MANAGE)
@accepts(CanteenUpdateIn)
async def update_canteen(request: Request, code: str, body: CanteenUpdateIn):
    return ok(await service.update_canteen(actor(request), code, **body.model_dump(), scope=scope(request, MANAGE)))


@bp.get("/canteens/<code:str>/terminals")
@api("食堂的消费终端", Listed[TerminalOut])
@admin_required(VIEW)
async def list_terminals(request: Request, code: str):
    return ok({"items": await service.list_terminals(code, scope=scope(request, VIEW))})


@bp.get("/canteens/<code:str>/periods")
@api("食堂的餐次与价格", Listed[PeriodOut])
@admin_required(VIEW)
async def list_periods(request: Request, code: str):
    return ok({"items": await service.list_periods(code, scope=scope(request, VIEW))})


@bp.post("/canteens/<code:str>/periods")
@api("设置餐次与价格", PeriodOut)
@admin_required(MANAGE)
@accepts(PeriodIn)
async def set_period(request: Request, code: str, body: PeriodIn):
    period = await service.set_period(
        actor(request),
        code,
        body.code,
        body.name,
        body.starts_at,
        body.ends_at,
        body.max_swipes_per_card,
        {c: (p.price_fen, p.subsidy_cap_fen) for c, p in body.prices.items()},
        body.booking_cutoff_hours,
        scope=scope(request, MANAGE),
    )
    return ok(period)


@bp.post("/canteens/<code:str>/terminals")
@api("绑定消费终端", BoundTerminalOut, status=201)
@admin_required(MANAGE)
@accepts(TerminalBindIn)
async def bind_terminal(request: Request, code: str, body: TerminalBindIn):
    return ok(
        await service.bind_terminal(
            actor(request), code, body.device_code, body.mode, body.name, scope=scope(request, MANAGE)
        ),
        201,
    )


@bp.post("/canteens/<code:str>/dishes")
@api("新建菜品", CreatedDishOut, status=201)
@admin_required(MANAGE)
@accepts(DishIn)
async def create_dish(request: Request, code: str, body: DishIn):
    return ok(
        await service.create_dish(
            actor(request), code, body.name, body.price_fen, body.tags, scope=scope(request, MANAGE)
        ),
        201,
    )


@bp.get("/payments")
@api(
    "消费记录（分页，可筛选）",
    Paged[PaymentOut],
    query=(
        *PAGING,
        Query("canteen", "食堂编码"),
        Query("day", "营业日（YYYY-MM-DD）", date),
        Query("flagged", "仅看待核查（1 或 true）"),
        Query("person_id", "人员编号", int),
        Query("status", "状态", choices=PaymentStatus),
    ),
)
@admin_required(VIEW)
async def list_payments(request: Request):
    status = request.args.get("status") or None
    if status and status not in {s.value for s in PaymentStatus}:
        raise CommonError.INVALID_INPUT.error(details={"fields": [{"field": "status", "message": "取值无效"}]})
    page = await service.list_payments(
        {
            "canteen": request.args.get("canteen"),
            "day": query_date(request, "day"),
            "status": status,
            "person_id": query_int(request, "person_id", 0, 0, 2**31 - 1) or None,
            "flagged": request.args.get("flagged") in ("1", "true"),
        },
        page=query_int(request, "page", 1, 1, 100_000),
        page_size=query_int(request, "page_size", 50, 1, 200),
        scope=scope(request, VIEW),
    )
    return ok(page.as_dict())


@bp.post("/payments/<payment_id:int>/refund")
@api("因错退款", RefundOut)
@admin_required(REFUND)
@accepts(RefundIn)
async def refund(request: Request, payment_id: int, body: RefundIn):
    return ok(await service.refund(actor(request), payment_id, body.reason, scope=scope(request, REFUND)))


@bp.get("/reports/daily")
@api("食堂消费日报", DailyReportOut, query=(Query("day", "营业日（YYYY-MM-DD）", date),))
@admin_required(VIEW)
async def daily_report(request: Request):
    day = query_date(request, "day") or today()
    return ok({"day": day.isoformat(), "lines": await service.daily_totals(day, scope=scope(request, VIEW))})


@bp.get("/reports/daily.xlsx")
@api("导出食堂消费日报（Excel）", XLSX, query=(Query("day", "营业日（YYYY-MM-DD）", date),))
@admin_required(VIEW)
async def daily_report_xlsx(request: Request):
    day = query_date(request, "day") or today()
    workbook = await reports.daily_workbook(day, scope=scope(request, VIEW))
    return xlsx_download(workbook, f"canteen-daily-{day.isoformat()}.xlsx")


@bp.post("/dishes/<dish_id:int>/photo")
@api("上传菜品照片", DishOut)
@admin_required(MANAGE)
async def set_dish_photo(request: Request, dish_id: int):
    """multipart/form-data with one `file`: checked by content and stripped like every photo."""
    return ok(
        await menus.set_dish_photo(
            actor(request),
            runtime(request).storage,
            dish_id,
            uploaded_file(request),
            scope=scope(request, MANAGE),
        )
    )


@bp.post("/canteens/<code:str>/menus")
@api("发布某日某餐次的菜单", MenuOut)
@admin_required(MANAGE)
@accepts(MenuIn)
async def set_menu(request: Request, code: str, body: MenuIn):
    return ok(
        await menus.set_menu(actor(request), code, body.date, body.period, body.dish_ids, scope=scope(request, MANAGE))
    )


@bp.get("/canteens/<code:str>/bookings")
@api("某日各餐次报餐人数", KitchenCountsOut, query=(Query("day", "营业日（YYYY-MM-DD）", date),))
@admin_required(VIEW)
async def booking_counts(request: Request, code: str):
    """What the kitchen cooks for: booked diners per period of the day."""
    day = query_date(request, "day") or today()
    return ok({"day": day.isoformat(), "periods": await booking.kitchen_counts(code, day, scope=scope(request, VIEW))})


@bp.get("/canteens/<code:str>/no-shows")
@api(
    "报餐未就餐率",
    NoShowsOut,
    query=(Query("from", "起始日期（YYYY-MM-DD）", date), Query("to", "截止日期（YYYY-MM-DD）", date)),
)
@admin_required(VIEW)
async def no_shows(request: Request, code: str):
    current_day = today()
    return ok(
        await booking.no_show_rate(
            code,
            query_date(request, "from") or current_day,
            query_date(request, "to") or current_day,
            scope=scope(request, VIEW),
        )
    )


@bp.get("/dishes/<dish_id:int>/ratings")
@api("菜品评价", DishRatingsOut)
@admin_required(VIEW)
async def dish_ratings(request: Request, dish_id: int):
    return ok(await menus.dish_ratings(dish_id, scope=scope(request, VIEW)))
