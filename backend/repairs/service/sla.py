"""Working-hours arithmetic for repair time limits (时限): deadlines and elapsed working time.

Working time is the schedule's windows (by default 08:30–12:00 and 13:30–17:30, 7.5 hours) on
the working days of the Chinese public-holiday calendar: weekends and statutory holidays (法定节假日)
are off, and a make-up working day (调休上班, e.g. a Saturday before a long holiday) is on. All
clock times are Asia/Shanghai; datetimes in and out are aware.

Which days are working days is `backend.core.workdays` (the public-holiday calendar).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backend.core.timeutil import BUSINESS_TZ
from backend.core.workdays import is_working_day

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkingSchedule:
    """The working hours of one working day: (start, end) windows in order, not overlapping."""

    windows: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("a working schedule needs at least one window")
        previous_end = time.min
        for start, end in self.windows:
            if not previous_end <= start < end:
                raise ValueError(f"working windows must be in order and not overlap: {self.windows}")
            previous_end = end

    def on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working windows of a day as aware datetimes; none on a day off."""
        if not is_working_day(day):
            return []
        return [
            (datetime.combine(day, start, BUSINESS_TZ), datetime.combine(day, end, BUSINESS_TZ))
            for start, end in self.windows
        ]


DEFAULT_SCHEDULE = WorkingSchedule()


def _in_business_time(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, got {moment!r}")
    return moment.astimezone(BUSINESS_TZ)


def add_working_hours(
    start: datetime, hours: float | timedelta, schedule: WorkingSchedule = DEFAULT_SCHEDULE
) -> datetime:
    """The moment `hours` of working time after `start`: a repair's deadline.

    A start outside working time counts from the next working moment, so 2 hours from 20:00
    on a Friday end at 10:30 the next working day. A deadline that falls on the end of a window
    stays there (12:00, not 13:30). With 0 hours: the first working moment at or after start.
    """
    remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
    if remaining < timedelta(0):
        raise ValueError(f"working hours cannot be negative, got {hours!r}")
    start = _in_business_time(start)
    day = start.date()
    while True:
        for opens, closes in schedule.on(day):
            begin = max(opens, start)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        day += ONE_DAY


def working_time_between(a: datetime, b: datetime, schedule: WorkingSchedule = DEFAULT_SCHEDULE) -> timedelta:
    """The working time from `a` to `b` (negative when b is before a): how long a repair took
    to be accepted or resolved, and the inverse of add_working_hours."""
    a, b = _in_business_time(a), _in_business_time(b)
    if b < a:
        return -working_time_between(b, a, schedule)
    elapsed = timedelta(0)
    day = a.date()
    while day <= b.date():
        for opens, closes in schedule.on(day):
            overlap = min(closes, b) - max(opens, a)
            if overlap > timedelta(0):
                elapsed += overlap
        day += ONE_DAY
    return elapsed
