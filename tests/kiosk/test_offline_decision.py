"""Deciding a card payment offline from the risk parameters: blacklist, meal period and the
card's own category price, the per-payment limit, the count per card and day and the swipes per
card and meal."""

import pytest

from kiosk import offline
from kiosk.offline import RiskParameters, offline_price, offline_refusal
from tests.helpers.kiosk import LUNCH, RISK_BODY


@pytest.fixture
def risk() -> RiskParameters:
    return RiskParameters.from_backend(RISK_BODY)


def test_a_card_within_the_limits_in_a_meal_period_is_taken_at_the_staff_price(risk):
    assert offline_refusal(risk, "04A1B2C3", LUNCH, taken_today=1) is None
    period = risk.period_at(LUNCH)
    assert (period.name, period.staff_price_fen, period.max_swipes) == ("午餐", 1500, 2)
    assert offline_price(risk, "04A1B2C3", LUNCH) == 1500


def test_a_card_not_priced_as_staff_is_taken_at_its_own_categorys_price(risk):
    """The price the screen shows offline is the one the backend charges on upload."""
    assert risk.category_of("04C0C0C0") == "contractor" and risk.category_of("04A1B2C3") == "staff"
    assert offline_refusal(risk, "04C0C0C0", LUNCH, 0) is None
    assert offline_price(risk, "04C0C0C0", LUNCH) == 2000


def test_a_card_whose_category_has_no_price_at_the_period_is_refused_in_words(risk):
    assert (
        offline_refusal(risk, "04C0C0C0", LUNCH.replace(hour=7), 0)
        == "网络中断，本餐次未设置外包人员价格，请到食堂服务台处理"
    )
    assert offline_refusal(risk, "04B1B1B1", LUNCH, 0) == "网络中断，本餐次未设置访客价格，请到食堂服务台处理"
    assert offline_price(risk, "04B1B1B1", LUNCH) is None


def test_a_card_that_used_up_the_meals_swipes_at_this_terminal_is_refused(risk):
    assert offline_refusal(risk, "04A1B2C3", LUNCH, taken_today=1, taken_this_meal=1) is None
    assert offline_refusal(risk, "04A1B2C3", LUNCH, taken_today=2, taken_this_meal=2) is not None
    assert (
        offline_refusal(
            risk.__class__.from_backend({**RISK_BODY, "offline_max_count_per_card": 5}),
            "04A1B2C3",
            LUNCH,
            taken_today=2,
            taken_this_meal=2,
        )
        == "本餐已消费，每餐限 2 次"
    )


def test_parameters_remembered_by_an_older_agent_still_load_with_cautious_defaults():
    """A terminal upgraded while offline has only what the older version remembered."""
    older = {
        key: value
        for key, value in RISK_BODY.items()
        if key not in ("max_payment_fen", "card_categories", "card_categories_version")
    }
    older["periods"] = [{k: v for k, v in p.items() if k != "max_swipes"} for p in RISK_BODY["periods"]]
    risk = RiskParameters.from_backend(older)
    assert risk.card_categories == {} and risk.max_payment_fen == offline.MAX_AMOUNT_FEN
    assert risk.period_at(LUNCH).max_swipes == 1


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
