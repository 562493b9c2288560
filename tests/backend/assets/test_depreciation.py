"""Straight-line depreciation by month: charged from the purchase month through the last month of
the useful life, and nothing after it (item 6 of the review)."""

from __future__ import annotations

from datetime import date

from backend.assets.service import depreciation


def test_the_last_month_of_the_life_is_charged_and_brings_the_total_to_the_value():
    last = depreciation.of(60000, 60, date(2010, 3, 1), date(2015, 2, 28))
    assert (last.months, last.accumulated_fen, last.net_fen, last.monthly_fen) == (60, 60000, 0, 1000)


def test_nothing_is_charged_once_the_useful_life_is_used_up():
    for on in (date(2015, 3, 1), date(2026, 12, 7)):
        past = depreciation.of(60000, 60, date(2010, 3, 1), on)
        assert (past.months, past.accumulated_fen, past.net_fen, past.monthly_fen) == (60, 60000, 0, 0)


def test_an_asset_not_depreciated_or_not_yet_bought_is_charged_nothing():
    assert depreciation.of(60000, 0, date(2010, 3, 1), date(2026, 12, 7)).monthly_fen == 0
    assert depreciation.of(60000, 60, date(2027, 1, 1), date(2026, 12, 7)).monthly_fen == 0
