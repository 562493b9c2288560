"""Repair time limits in working hours on the Chinese holiday calendar (default day: 08:30–12:00,
13:30–17:30). The 2026 dates used are those of chinesecalendar's data, checked first."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar
import pytest

from backend.core import workdays
from backend.core.timeutil import BUSINESS_TZ
from backend.core.workdays import is_working_day
from backend.repairs.service.sla import WorkingSchedule, add_working_hours, working_time_between


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BUSINESS_TZ)


def test_calendar_data_the_tests_rely_on():
    """2026: Mid-Autumn Sep 25–27, National Day Oct 1–7, made up on Sun Sep 20 and Sat Oct 10."""
    for day in [date(2026, 9, 25), date(2026, 9, 27)] + [date(2026, 10, d) for d in range(1, 8)]:
        assert chinese_calendar.get_holiday_detail(day)[0] is True
    for make_up in (date(2026, 9, 20), date(2026, 10, 10)):
        assert make_up.weekday() >= 5 and chinese_calendar.get_holiday_detail(make_up) == (False, "National Day")
    assert chinese_calendar.is_workday(date(2026, 10, 8))


@pytest.mark.parametrize(
    "start, hours, deadline",
    [
        ("2026-11-23 09:00", 2, "2026-11-23 11:00"),  # Monday morning
        ("2026-11-23 11:00", 2, "2026-11-23 14:30"),  # across lunch
        ("2026-11-23 08:30", 3.5, "2026-11-23 12:00"),  # ends on the window's end, not after lunch
        ("2026-11-23 08:30", 7.5, "2026-11-23 17:30"),  # one whole working day
        ("2026-11-23 06:00", 1, "2026-11-23 09:30"),  # filed before work
        ("2026-11-23 12:30", 1, "2026-11-23 14:30"),  # filed at lunch
        ("2026-11-24 20:00", 1, "2026-11-25 09:30"),  # filed at night
        ("2026-11-23 23:59", 0, "2026-11-24 08:30"),  # nothing left: the next working moment
    ],
)
def test_deadline_within_ordinary_working_days(start, hours, deadline):
    assert add_working_hours(at(start), hours) == at(deadline)


def test_friday_afternoon_report_runs_over_the_weekend():
    # 1.5 h on Friday 16:00–17:30, the remaining 2.5 h on Monday from 08:30
    assert add_working_hours(at("2026-11-20 16:00"), 4) == at("2026-11-23 11:00")


def test_report_before_national_day_waits_out_the_holiday():
    # 1.5 h on Wed Sep 30, Oct 1–7 off, 6 h on Thu Oct 8
    assert add_working_hours(at("2026-09-30 16:00"), 7.5) == at("2026-10-08 16:00")


def test_mid_autumn_friday_is_off():
    # 0.5 h on Thu Sep 24; Fri Sep 25 to Sun Sep 27 off
    assert add_working_hours(at("2026-09-24 17:00"), 1) == at("2026-09-28 09:00")


def test_make_up_saturday_and_sunday_are_working_days():
    assert is_working_day(date(2026, 10, 10)) and is_working_day(date(2026, 9, 20))
    assert add_working_hours(at("2026-10-09 16:00"), 7.5) == at("2026-10-10 16:00")
    assert add_working_hours(at("2026-09-19 10:00"), 1) == at("2026-09-20 09:30")


def test_elapsed_working_time_skips_nights_weekends_and_holidays():
    assert working_time_between(at("2026-11-20 16:00"), at("2026-11-23 11:00")) == timedelta(hours=4)
    assert working_time_between(at("2026-09-30 08:00"), at("2026-10-09 00:00")) == timedelta(hours=15)
    assert working_time_between(at("2026-11-21 09:00"), at("2026-11-22 18:00")) == timedelta(0)
    assert working_time_between(at("2026-11-23 11:00"), at("2026-11-20 16:00")) == -timedelta(hours=4)


def test_elapsed_working_time_is_the_inverse_of_the_deadline():
    starts = [at("2026-09-17 06:00") + timedelta(minutes=47 * i) for i in range(0, 24 * 60 * 30 // 47, 7)]
    for start in starts:
        for hours in (0.25, 1, 3.5, 7.5, 20, 100):
            deadline = add_working_hours(start, hours)
            assert working_time_between(start, deadline) == timedelta(hours=hours), (start, hours)


def test_a_year_of_working_time_is_counted_by_day_not_by_minute():
    working_days_2026 = len(chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31)))
    year = working_time_between(at("2026-01-01 00:00"), at("2027-01-01 00:00"))
    assert year == working_days_2026 * timedelta(hours=7.5)
    assert add_working_hours(at("2026-01-01 00:00"), year) == at("2026-12-31 17:30")


def test_years_beyond_the_calendar_data_count_monday_to_friday(caplog):
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))
    # warned once per process, and each day's answer is cached: make this test see the warning
    workdays._warn_uncovered_year.cache_clear()
    workdays.is_working_day.cache_clear()
    with caplog.at_level(logging.WARNING, logger="houqin.workdays"):
        # Thu Dec 31 from the data, then Fri Jan 1 2027 working by the fallback, the weekend off
        assert add_working_hours(at("2026-12-31 16:00"), 7.5) == at("2027-01-01 16:00")
        assert add_working_hours(at("2027-01-01 17:00"), 1) == at("2027-01-04 09:00")
    assert "no holiday data for 2027" in caplog.text
    assert [is_working_day(date(2027, 1, d)) for d in range(1, 5)] == [True, False, False, True]


def test_datetimes_in_other_zones_are_read_in_shanghai_time():
    deadline = add_working_hours(datetime(2026, 11, 23, 1, 0, tzinfo=UTC), timedelta(hours=2))
    assert deadline == at("2026-11-23 11:00") and deadline.tzinfo is BUSINESS_TZ


def test_naive_times_and_negative_hours_are_refused():
    with pytest.raises(ValueError, match="aware"):
        add_working_hours(datetime(2026, 11, 23, 9), 1)
    with pytest.raises(ValueError, match="aware"):
        working_time_between(at("2026-11-23 09:00"), datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="negative"):
        add_working_hours(at("2026-11-23 09:00"), -1)


def test_a_schedule_of_its_own():
    straight = WorkingSchedule(((time(9, 0), time(17, 0)),))
    assert add_working_hours(at("2026-11-23 16:00"), 2, straight) == at("2026-11-24 10:00")
    assert working_time_between(at("2026-11-23 00:00"), at("2026-11-24 00:00"), straight) == timedelta(hours=8)


@pytest.mark.parametrize(
    "windows",
    [(), ((time(13), time(12)),), ((time(8), time(12)), (time(11), time(14)))],
    ids=["empty", "backwards", "overlapping"],
)
def test_malformed_schedule_is_refused(windows):
    with pytest.raises(ValueError, match="window"):
        WorkingSchedule(windows)
