"""Meal booking (报餐/报停), business trips, kitchen counts and the no-show rate.

A booking can be made or cancelled until its period's cutoff (hours before the meal starts,
per period), so the kitchen's counts are final when it starts cooking. A business trip cancels
every booking inside it. A no-show is a booked meal with no payment by that person in it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tortoise.transactions import in_transaction

from backend.canteen import scope as canteen_scope
from backend.canteen.config import clock_time
from backend.canteen.models import (
    BookingStatus,
    BusinessTrip,
    Canteen,
    CanteenPayment,
    MealBooking,
    MealPeriod,
    PaymentStatus,
)
from backend.canteen.scope import CanteenScope
from backend.core.errors import ErrorCode
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
    TRIP_INVALID = ("canteen.trip_invalid", 422, "出差日期不正确（结束不早于开始，最长 90 天，不早于今天，且在一年之内）")


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
    return {"canteen": canteen_code, "date": booking.meal_date.isoformat(), "period": booking.period_code,
            "status": booking.status.value}


async def book(person_id: int, canteen_code: str, meal_date: date, period_code: str, at: datetime) -> dict:
    canteen, period = await _period(canteen_code, period_code)
    _check_open(meal_date, period, at)
    if await BusinessTrip.exists(person_id=person_id, starts_on__lte=meal_date, ends_on__gte=meal_date):
        raise BookingError.ON_TRIP.error()
    async with in_transaction() as conn:
        booking = await MealBooking.filter(person_id=person_id, meal_date=meal_date, period_code=period_code).using_db(
            conn).select_for_update().first()
        if booking is None:
            booking = await MealBooking.create(person_id=person_id, canteen_id=canteen.id, meal_date=meal_date,
                                               period_code=period_code, status=BookingStatus.BOOKED, using_db=conn)
        else:
            booking.canteen_id, booking.status = canteen.id, BookingStatus.BOOKED
            await booking.save(using_db=conn, update_fields=["canteen_id", "status", "updated_at"])
    return booking_view(booking, canteen.code)


async def cancel(person_id: int, meal_date: date, period_code: str, at: datetime) -> dict:
    booking = await MealBooking.get_or_none(person_id=person_id, meal_date=meal_date, period_code=period_code,
                                            status=BookingStatus.BOOKED).select_related("canteen")
    if booking is None:
        raise BookingError.NOT_BOOKED.error()
    period = await MealPeriod.get(canteen_id=booking.canteen_id, code=period_code)
    _check_open(meal_date, period, at)
    await MealBooking.filter(id=booking.id).update(status=BookingStatus.CANCELLED)
    booking.status = BookingStatus.CANCELLED
    return booking_view(booking, booking.canteen.code)


async def report_trip(person_id: int, starts_on: date, ends_on: date, reason: str, at: datetime) -> dict:
    today = at.astimezone(BUSINESS_TZ).date()
    if (ends_on < starts_on or (ends_on - starts_on).days >= MAX_TRIP_DAYS or ends_on < today
            or starts_on > today + timedelta(days=366)):
        raise BookingError.TRIP_INVALID.error()
    async with in_transaction() as conn:
        trip = await BusinessTrip.create(person_id=person_id, starts_on=starts_on, ends_on=ends_on, reason=reason,
                                         using_db=conn)
        booked = await MealBooking.filter(
            person_id=person_id, meal_date__gte=starts_on, meal_date__lte=ends_on, status=BookingStatus.BOOKED
        ).using_db(conn)
        periods = {(p.canteen_id, p.code): p for p in await MealPeriod.filter(
            canteen_id__in={b.canteen_id for b in booked}).using_db(conn)}
        # Meals whose cutoff has passed are already cooked for: they stay booked (a no-show).
        still_open = [b.id for b in booked if at < _cutoff(b.meal_date, periods[(b.canteen_id, b.period_code)])]
        cancelled = await MealBooking.filter(id__in=still_open).using_db(conn).update(status=BookingStatus.CANCELLED)
    return {"id": trip.id, "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "reason": reason,
            "cancelled_bookings": cancelled}


async def my_bookings(person_id: int, start: date, end: date) -> list[dict]:
    bookings = await MealBooking.filter(person_id=person_id, meal_date__gte=start, meal_date__lte=end).select_related(
        "canteen").order_by("meal_date", "period_code")
    return [booking_view(b, b.canteen.code) for b in bookings]


async def _canteen(canteen_code: str, scope: CanteenScope) -> Canteen:
    canteen = await Canteen.get_or_none(code=canteen_code)
    if canteen is None:
        raise BookingError.CANTEEN_NOT_FOUND.error()
    canteen_scope.require(scope, canteen.id)
    return canteen


async def kitchen_counts(canteen_code: str, day: date, *, scope: CanteenScope = None) -> list[dict]:
    """How many diners are booked for each period of the day (what the kitchen cooks for)."""
    canteen = await _canteen(canteen_code, scope)
    periods = await MealPeriod.filter(canteen_id=canteen.id).order_by("starts_minute")
    booked = await MealBooking.filter(canteen_id=canteen.id, meal_date=day, status=BookingStatus.BOOKED).values_list(
        "period_code", flat=True)
    return [{"period": p.code, "name": p.name, "starts_at": clock_time(p.starts_minute),
             "booked": sum(1 for code in booked if code == p.code)} for p in periods]


async def no_show_rate(canteen_code: str, start: date, end: date, *, scope: CanteenScope = None) -> dict:
    canteen = await _canteen(canteen_code, scope)
    booked = await MealBooking.filter(canteen_id=canteen.id, meal_date__gte=start, meal_date__lte=end,
                                      status=BookingStatus.BOOKED).values_list("person_id", "meal_date", "period_code")
    ate = set(await CanteenPayment.filter(canteen_id=canteen.id, business_date__gte=start, business_date__lte=end,
                                          status=PaymentStatus.PAID).values_list("person_id", "business_date",
                                                                                 "period_code"))
    no_shows = sum(1 for meal in booked if tuple(meal) not in ate)
    return {"canteen": canteen.code, "from": start.isoformat(), "to": end.isoformat(), "booked": len(booked),
            "no_shows": no_shows, "no_show_rate": round(no_shows / len(booked), 4) if booked else 0.0}
