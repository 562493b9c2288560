"""Console page of meal bookings (报餐): what the kitchen cooks for (booked diners per canteen and
meal period of a day), who booked, filtered by day, canteen, meal period, status and the diner's
unit, exported to Excel, and the no-show rate (booked but not eaten) over a range of days.
A manager granted one canteen sees that canteen's bookings only."""

from __future__ import annotations

from datetime import date, timedelta

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import scope
from backend.accounts.service import people
from backend.canteen.models import BookingStatus
from backend.canteen.permissions import CanteenPermission
from backend.canteen.service import booking
from backend.canteen.service import canteens as service
from backend.canteen.service.reports import PERIOD_NAMES, rate_text
from backend.console.render import page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.permissions import Scope
from backend.core.timeutil import parse_day, today

bp = Blueprint("console_canteen_bookings", url_prefix="/console/canteen/bookings")

VIEW = CanteenPermission.VIEW_PAYMENT
MAX_RANGE_DAYS = 366
STATUS_LABELS = BookingStatus.labels()

BOOKINGS = Table(
    title="报餐名单",
    columns=(
        Column("meal_date", "就餐日", sort="meal_date", kind="date"),
        Column("period_label", "餐次"),
        Column("canteen__name", "食堂"),
        Column("person__employee_no", "工号", sort="person__employee_no"),
        Column("person__name", "姓名"),
        Column("person__unit__name", "单位"),
        Column("status_label", "状态"),
        Column("updated_at", "最后操作", sort="updated_at", kind="datetime"),
    ),
    default_sort="-meal_date",
    filters=(
        Filter("day", "就餐日", kind="date"),
        Filter("canteen", "食堂", kind="select"),
        Filter("period", "餐次", kind="select", options=tuple(PERIOD_NAMES.items())),
        Filter("unit", "单位", kind="select"),
        Filter("status", "状态", kind="select", options=tuple(STATUS_LABELS.items())),
    ),
)


def _row(values: dict) -> dict:
    return {
        **values,
        "period_label": PERIOD_NAMES.get(values["period_code"], values["period_code"]),
        "status_label": STATUS_LABELS.get(values["status"], values["status"]),
    }


async def _state(request: Request):
    viewable = scope(request, VIEW)
    visible = await service.list_canteens(scope=viewable)
    units = await people.list_units(Scope.EVERYTHING)
    state = (
        BOOKINGS.with_options("canteen", tuple((c["code"], c["name"]) for c in visible))
        .with_options("unit", tuple((u["code"], "　" * u["depth"] + u["name"]) for u in units))
        .state(request)
    )
    f = state.filters
    query = await booking.bookings_query(
        {
            "canteen": f["canteen"],
            "day": date.fromisoformat(f["day"]) if f["day"] else None,
            "period": f["period"],
            "status": f["status"],
            "unit": f["unit"],
        },
        scope=viewable,
    )
    return state, query, visible


def _range(request: Request, day: date) -> tuple[date, date]:
    """The days the no-show rate covers: as asked when sensible, else the week up to `day`."""
    start, end = parse_day(request.args.get("from")), parse_day(request.args.get("to"))
    if start is None or end is None or end < start or (end - start).days >= MAX_RANGE_DAYS:
        return day - timedelta(days=6), day
    return start, end


@bp.get("")
@console_page(VIEW)
async def bookings(request: Request):
    state, query, visible = await _state(request)
    await fetch(state, query, _row, values=booking.BOOKING_FIELDS)
    viewable = scope(request, VIEW)
    day = parse_day(state.filters["day"]) or today()
    shown = [c for c in visible if not state.filters["canteen"] or c["code"] == state.filters["canteen"]]
    kitchen = [{"canteen": c, "periods": await booking.kitchen_counts(c["code"], day, scope=viewable)} for c in shown]
    start, end = _range(request, day)
    codes = {c["code"] for c in shown}
    attendance = [r for r in await booking.attendance(start, end, scope=viewable) if r["canteen"] in codes]
    booked, no_shows = sum(r["booked"] for r in attendance), sum(r["no_shows"] for r in attendance)
    return await page(
        request,
        "canteen/bookings.html",
        state=state,
        day=day,
        kitchen=kitchen,
        attendance=attendance,
        total={"booked": booked, "no_shows": no_shows, "no_show_rate": round(no_shows / booked, 4) if booked else 0},
        start=start,
        end=end,
        rate_text=rate_text,
    )


@bp.get("/export.xlsx")
@console_page(VIEW)
async def bookings_export(request: Request):
    state, query, _ = await _state(request)
    return await export(state, query, _row, "报餐名单", values=booking.BOOKING_FIELDS)
