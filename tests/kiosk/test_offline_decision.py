"""Deciding a card payment offline from the risk parameters: blacklist, meal period and price,
the per-payment limit and the count per card and day."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from kiosk import offline
from kiosk.offline import RiskParameters, offline_refusal

LUNCH = datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
RISK_BODY = {
    "canteen": {"code": "ST1", "name": "第一食堂"},
    "mode": "fixed_price",
    "offline_max_payment_fen": 3000,
    "offline_max_count_per_card": 2,
    "blacklist_version": 7,
    "blacklist": ["04DEAD00"],
    "periods": [
        {"code": "breakfast", "name": "早餐", "starts_at": "06:30", "ends_at": "09:00", "prices": {"staff": 500}},
        {"code": "lunch", "name": "午餐", "starts_at": "11:00", "ends_at": "13:30",
         "prices": {"staff": 1500, "contractor": 2000}},
        {"code": "dinner", "name": "晚餐", "starts_at": "17:00", "ends_at": "19:30", "prices": {"staff": 3500}},
        {"code": "night", "name": "夜宵", "starts_at": "21:00", "ends_at": "22:00", "prices": {"contractor": 800}},
    ],
}


@pytest.fixture
def risk() -> RiskParameters:
    return RiskParameters.from_backend(RISK_BODY)


def test_a_card_within_the_limits_in_a_meal_period_is_taken_at_the_staff_price(risk):
    assert offline_refusal(risk, "04A1B2C3", LUNCH, taken_today=1) is None
    period = risk.period_at(LUNCH)
    assert (period.name, period.staff_price_fen) == ("午餐", 1500)


def test_a_lost_or_cancelled_card_is_refused(risk):
    assert offline_refusal(risk, "04DEAD00", LUNCH, 0) == offline.BLACKLISTED


def test_a_card_that_used_up_its_offline_payments_today_is_refused(risk):
    assert offline_refusal(risk, "04A1B2C3", LUNCH, taken_today=2) == offline.TOO_MANY


def test_a_price_over_the_offline_limit_is_refused(risk):
    assert offline_refusal(risk, "04A1B2C3", LUNCH.replace(hour=18), 0) == offline.OVER_LIMIT


def test_outside_meal_periods_or_without_a_staff_price_nothing_is_taken(risk):
    assert offline_refusal(risk, "04A1B2C3", LUNCH.replace(hour=15), 0) == offline.OUTSIDE_MEAL_PERIOD
    assert offline_refusal(risk, "04A1B2C3", LUNCH.replace(hour=13, minute=30), 0) == offline.OUTSIDE_MEAL_PERIOD
    assert offline_refusal(risk, "04A1B2C3", LUNCH.replace(hour=21, minute=30), 0) == offline.NO_PRICE


def test_a_terminal_that_never_received_risk_parameters_takes_nothing_offline():
    assert offline_refusal(None, "04A1B2C3", LUNCH, 0) == offline.NOT_READY


def test_offline_payments_can_be_switched_off_by_a_zero_limit():
    risk = RiskParameters.from_backend({**RISK_BODY, "offline_max_count_per_card": 0})
    assert offline_refusal(risk, "04A1B2C3", LUNCH, 0) == offline.TOO_MANY


@pytest.mark.parametrize("mode", ["free_amount", "menu"])
def test_only_a_fixed_price_terminal_takes_payments_offline(mode):
    """A free-amount or menu terminal's amount would rest on the terminal's word alone."""
    risk = RiskParameters.from_backend({**RISK_BODY, "mode": mode})
    assert offline_refusal(risk, "04A1B2C3", LUNCH, 0) == offline.NOT_FIXED_PRICE
