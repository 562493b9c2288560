"""Business time: every timestamp is aware, and the business day is Asia/Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(BUSINESS_TZ)


def day_start(day: date) -> datetime:
    """The first moment of a business day."""
    return datetime.combine(day, time.min, BUSINESS_TZ)


def business_time(moment: datetime) -> datetime:
    """A time as a person typed it (a form's datetime-local field has no zone) is business time;
    an aware one stays as it is."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=BUSINESS_TZ)


def today() -> date:
    """The business day (Asia/Shanghai) it is now."""
    return now().astimezone(BUSINESS_TZ).date()


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (before, if negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def plausible(day: date) -> bool:
    """A date a person could mean here. Far years (9999-12-31) are refused where they are read,
    before a day or 90 added to them overflows."""
    return 2000 <= day.year <= 2100


def typed_day(value: object) -> object:
    """A typed YYYY-MM-DD as a date, for a pydantic `mode="before"` field validator: refused in
    words a person reads next to the field, and outside the plausible years before any arithmetic."""
    if isinstance(value, date):
        return value
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise ValueError("请输入日期，如 2026-01-31") from None
    if not plausible(day):
        raise ValueError("请输入 2000 至 2100 年间的日期")
    return day


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD a person could mean here, or None for anything else."""
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        return None
    return day if plausible(day) else None


@dataclass(frozen=True)
class DaySpan:
    """Business days from `first` through `last`, both included: the range of a report."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return day_start(self.first)

    @property
    def end(self) -> datetime:
        return day_start(self.last + timedelta(days=1))

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def label(self) -> str:
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"


def requested_span(since: str | None, until: str | None, max_days: int) -> tuple[DaySpan, bool]:
    """The range a report page's URL asks for (`since`, `until` as typed); a malformed one falls
    back to this month so far. The flag says whether it was cut to its last `max_days`, so the
    page can say so instead of refusing a range typed by hand."""
    last = parse_day(until) or today()
    first = min(parse_day(since) or last.replace(day=1), last)
    cut = (last - first).days >= max_days
    if cut:
        first = last - timedelta(days=max_days - 1)
    return DaySpan(first, last), cut
