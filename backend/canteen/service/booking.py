"""Meal booking (报餐/报停), business trips, kitchen counts and the no-show rate.

A booking can be made or cancelled until its period's cutoff (hours before the meal starts,
per period), so the kitchen's counts are final when it starts cooking. A business trip cancels
every booking inside it. A no-show is a booked meal with no payment by that person in it, at
the canteen booked (the kitchen cooked for them there).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise import connections
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.canteen.models import (
    BookingStatus,
    BusinessTrip,
    Canteen,
    CanteenPayment,
    MealBooking,
    MealPeriod,
    PaymentStatus,
)
from backend.canteen.service import canteens
from backend.canteen.service.terminal_settings import clock_time
from backend.core import sql
from backend.core.errors import ErrorCode
from backend.core.permissions import Scope, objects_within
from backend.core.timeutil import BUSINESS_TZ

MAX_DAYS_AHEAD = 30
MAX_TRIP_DAYS = 90


class BookingError(ErrorCode):
    CANTEEN_NOT_FOUND = ("canteen.canteen_not_found", 404, "食堂不存在")
    PERIOD_NOT_FOUND = ("canteen.period_not_found", 404, "该食堂没有这个餐次")
    CLOSED = ("canteen.booking_closed", 409, "已过报餐截止时间（开餐前 {hours} 小时）")
    TOO_FAR = ("canteen.booking_too_far", 422, "只能预订 30 天内的餐")
    ON_TRIP = ("canteen.booking_on_trip", 409, "该日期在您报备的出差期间内")
    NOT_BOOKED = ("canteen.booking_not_found", 404, "没有找到这餐的预订")
    TRIP_INVALID = (
        "canteen.trip_invalid",
        422,
        "出差日期不正确（结束不早于开始，最长 90 天，不早于今天，且在一年之内）",
    )


async def _period(canteen_code: str, period_code: str) -> tuple[Canteen, MealPeriod]:
    canteen = await Canteen.get_or_none(code=canteen_code)
    if canteen is None:
        raise BookingError.CANTEEN_NOT_FOUND.error()
    period = await MealPeriod.get_or_none(canteen_id=canteen.id, code=period_code)
    if period is None:
        raise BookingError.PERIOD_NOT_FOUND.error()
    return canteen, period


def _cutoff(meal_date: date, period: MealPeriod) -> datetime:
    start = datetime(meal_date.year, meal_date.month, meal_date.day, tzinfo=BUSINESS_TZ)
    return start + timedelta(minutes=period.starts_minute) - timedelta(hours=period.booking_cutoff_hours)


def _check_open(meal_date: date, period: MealPeriod, at: datetime) -> None:
    today = at.astimezone(BUSINESS_TZ).date()
    if meal_date > today + timedelta(days=MAX_DAYS_AHEAD):
        raise BookingError.TOO_FAR.error()
    if meal_date < today or at >= _cutoff(meal_date, period):
        raise BookingError.CLOSED.error(hours=period.booking_cutoff_hours)


def booking_view(booking: MealBooking, canteen_code: str) -> dict:
    return {
        "canteen": canteen_code,
        "date": booking.meal_date.isoformat(),
        "period": booking.period_code,
        "status": booking.status.value,
    }


async def book(person_id: int, canteen_code: str, meal_date: date, period_code: str, at: datetime) -> dict:
    canteen, period = await _period(canteen_code, period_code)
    _check_open(meal_date, period, at)
    if await BusinessTrip.exists(person_id=person_id, starts_on__lte=meal_date, ends_on__gte=meal_date):
        raise BookingError.ON_TRIP.error()
    async with in_transaction() as conn:
        booking = (
            await MealBooking.filter(person_id=person_id, meal_date=meal_date, period_code=period_code)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if booking is None:
            booking = await MealBooking.create(
                person_id=person_id,
                canteen_id=canteen.id,
                meal_date=meal_date,
                period_code=period_code,
                status=BookingStatus.BOOKED,
                using_db=conn,
            )
        else:
            booking.canteen_id, booking.status = canteen.id, BookingStatus.BOOKED
            await booking.save(using_db=conn, update_fields=["canteen_id", "status", "updated_at"])
    return booking_view(booking, canteen.code)


async def cancel(person_id: int, meal_date: date, period_code: str, at: datetime) -> dict:
    booking = await MealBooking.get_or_none(
        person_id=person_id, meal_date=meal_date, period_code=period_code, status=BookingStatus.BOOKED
    ).select_related("canteen")
    if booking is None:
        raise BookingError.NOT_BOOKED.error()
    period = await MealPeriod.get(canteen_id=booking.canteen_id, code=period_code)
    _check_open(meal_date, period, at)
    await MealBooking.filter(id=booking.id).update(status=BookingStatus.CANCELLED)
    booking.status = BookingStatus.CANCELLED
    return booking_view(booking, booking.canteen.code)


async def report_trip(person_id: int, starts_on: date, ends_on: date, reason: str, at: datetime) -> dict:
    today = at.astimezone(BUSINESS_TZ).date()
    if (
        ends_on < starts_on
        or (ends_on - starts_on).days >= MAX_TRIP_DAYS
        or ends_on < today
        or starts_on > today + timedelta(days=366)
    ):
        raise BookingError.TRIP_INVALID.error()
    async with in_transaction() as conn:
        trip = await BusinessTrip.create(
            person_id=person_id, starts_on=starts_on, ends_on=ends_on, reason=reason, using_db=conn
        )
        booked = await MealBooking.filter(
            person_id=person_id, meal_date__gte=starts_on, meal_date__lte=ends_on, status=BookingStatus.BOOKED
        ).using_db(conn)
        periods = {
            (p.canteen_id, p.code): p
            for p in await MealPeriod.filter(canteen_id__in={b.canteen_id for b in booked}).using_db(conn)
        }
        # Meals whose cutoff has passed are already cooked for: they stay booked (a no-show).
        still_open = [b.id for b in booked if at < _cutoff(b.meal_date, periods[(b.canteen_id, b.period_code)])]
        cancelled = await MealBooking.filter(id__in=still_open).using_db(conn).update(status=BookingStatus.CANCELLED)
    return {
        "id": trip.id,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "reason": reason,
        "cancelled_bookings": cancelled,
    }


async def my_bookings(person_id: int, start: date, end: date) -> list[dict]:
    bookings = (
        await MealBooking.filter(person_id=person_id, meal_date__gte=start, meal_date__lte=end)
        .select_related("canteen")
        .order_by("meal_date", "period_code")
    )
    return [booking_view(b, b.canteen.code) for b in bookings]


async def kitchen_counts(canteen_code: str, day: date, *, scope: Scope) -> list[dict]:
    """How many diners are booked for each period of the day (what the kitchen cooks for)."""
    canteen = await canteens.find_canteen(canteen_code, scope=scope)
    periods = await MealPeriod.filter(canteen_id=canteen.id).order_by("starts_minute")
    booked = await MealBooking.filter(canteen_id=canteen.id, meal_date=day, status=BookingStatus.BOOKED).values_list(
        "period_code", flat=True
    )
    return [
        {
            "period": p.code,
            "name": p.name,
            "starts_at": clock_time(p.starts_minute),
            "booked": sum(1 for code in booked if code == p.code),
        }
        for p in periods
    ]


# What a row of the console's list of bookings reads: the diner and their unit come with it.
BOOKING_FIELDS = (
    "id",
    "meal_date",
    "period_code",
    "status",
    "updated_at",
    "canteen__name",
    "person__employee_no",
    "person__name",
    "person__unit__name",
)


async def bookings_query(filters: dict, *, scope: Scope) -> QuerySet:
    """Bookings at the canteens in scope, filtered by canteen code, meal day, period, status, or the
    unit code of the diner (that unit and the units below it); read with BOOKING_FIELDS."""
    query = MealBooking.filter(objects_within(scope, "canteen_id"))
    if filters.get("canteen"):
        query = query.filter(canteen__code=filters["canteen"])
    if filters.get("day"):
        query = query.filter(meal_date=filters["day"])
    if filters.get("period"):
        query = query.filter(period_code=filters["period"])
    if filters.get("status"):
        query = query.filter(status=filters["status"])
    if filters.get("unit"):
        unit = await people.unit_by_code(filters["unit"])
        unit_ids = await people.units_within(Scope.units([unit.path])) if unit else []
        query = query.filter(person__unit_id__in=unit_ids or [])
    return query


def _rate(no_shows: int, booked: int) -> float:
    return round(no_shows / booked, 4) if booked else 0.0


# Counted by the database: a year of a city's bookings and payments is millions of rows.
_ATTENDANCE = (
    "SELECT b.canteen_id, b.period_code, COUNT(*) AS booked, SUM(CASE WHEN EXISTS ("
    "SELECT 1 FROM canteen_payment p WHERE p.canteen_id = b.canteen_id AND p.person_id = b.person_id "
    "AND p.business_date = b.meal_date AND p.period_code = b.period_code AND p.status = $1) "
    "THEN 1 ELSE 0 END) AS eaten "
    "FROM canteen_meal_booking b WHERE b.meal_date >= $2 AND b.meal_date <= $3 AND b.status = $4{scope} "
    "GROUP BY b.canteen_id, b.period_code"
)


async def _booked_and_eaten(start: date, end: date, scope: Scope) -> list[dict]:
    in_reach = scope.object_id_list()
    if in_reach == []:
        return []
    ids = in_reach or []
    in_scope = f" AND b.canteen_id IN ({', '.join(f'${5 + i}' for i in range(len(ids)))})" if ids else ""
    params = [
        *sql.db_values(CanteenPayment, status=PaymentStatus.PAID),
        *sql.db_values(MealBooking, meal_date=start),
        *sql.db_values(MealBooking, meal_date=end),
        *sql.db_values(MealBooking, status=BookingStatus.BOOKED),
        *ids,
    ]
    return await sql.rows(connections.get("default"), _ATTENDANCE.format(scope=in_scope), *params)


async def attendance(start: date, end: date, *, scope: Scope) -> list[dict]:
    """Per canteen in scope and meal period, over the days from `start` to `end`: meals booked,
    those eaten, no-shows and the no-show rate. Every period a canteen has is listed, booked or not."""
    canteens = {c.id: c for c in await Canteen.filter(objects_within(scope, "id"))}
    rows: dict[tuple[int, str], dict] = {}

    def row(canteen_id: int, period_code: str, name: str, starts_at: str) -> dict:
        return rows.setdefault(
            (canteen_id, period_code),
            {
                "canteen": canteens[canteen_id].code,
                "canteen_name": canteens[canteen_id].name,
                "period": period_code,
                "name": name,
                "starts_at": starts_at,
                "booked": 0,
                "eaten": 0,
                "no_shows": 0,
            },
        )

    for period in await MealPeriod.filter(objects_within(scope, "canteen_id")).order_by("starts_minute"):
        row(period.canteen_id, period.code, period.name, clock_time(period.starts_minute))
    for counted in await _booked_and_eaten(start, end, scope):
        booked, eaten = int(counted["booked"]), int(counted["eaten"] or 0)
        counts = row(counted["canteen_id"], counted["period_code"], counted["period_code"], "")  # a removed period
        counts.update(booked=booked, eaten=eaten, no_shows=booked - eaten)
    ordered = sorted(rows.values(), key=lambda r: (r["canteen"], r["starts_at"] or "99", r["period"]))
    return [{**r, "no_show_rate": _rate(r["no_shows"], r["booked"])} for r in ordered]


async def no_show_rate(canteen_code: str, start: date, end: date, *, scope: Scope) -> dict:
    """The canteen's no-shows over the days, in total and per meal period."""
    canteen = await canteens.find_canteen(canteen_code, scope=scope)
    periods = await attendance(start, end, scope=Scope.objects([canteen.id]))
    booked, no_shows = sum(p["booked"] for p in periods), sum(p["no_shows"] for p in periods)
    return {
        "canteen": canteen.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "booked": booked,
        "no_shows": no_shows,
        "no_show_rate": _rate(no_shows, booked),
        "periods": [
            {k: p[k] for k in ("period", "name", "booked", "eaten", "no_shows", "no_show_rate")} for p in periods
        ],
    }
