"""Which days are working days in China: weekends and statutory holidays (法定节假日) are off, and a
make-up working day (调休上班, e.g. a Saturday before a long holiday) is on. Repairs count their
time limits in working hours on them, official cars check use on days off against them.

The calendar comes from the `chinese-calendar` package, whose data covers 2004 up to the latest
year the State Council has published (2026 in chinesecalendar 1.11.0). A day outside its data is
counted as Monday–Friday working, weekends off, without holidays: the arrangement for a year is
announced only late in the year before, so after it is, upgrade the package. Meanwhile a warning
is logged once per uncovered year.
"""

from __future__ import annotations

import logging
from datetime import date
from functools import cache, lru_cache

import chinese_calendar

log = logging.getLogger("houqin.workdays")


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """Whether `day` is a working day: make-up days count, holidays do not. Outside the
    calendar's data, Monday to Friday (see the module docstring). Cached: chinese-calendar
    checks each date against the bounds of its data, which made three quarters of the time of
    summing a year of repair durations."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_uncovered_year(day.year)
        return day.weekday() < 5


@cache
def _warn_uncovered_year(year: int) -> None:
    log.warning(
        "chinese-calendar has no holiday data for %s: counting Monday to Friday as working days; "
        "upgrade the chinesecalendar package",
        year,
    )
