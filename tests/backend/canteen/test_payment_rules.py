"""A terminal payment's rules without a database: how the server prices it, the meal limit, and
which entries of an offline journal are held for review, charged, or charged and flagged."""

from datetime import datetime, timedelta

import pytest

from backend.accounts.models import StaffCategory
from backend.canteen.models import DinerCategory, TerminalMode
from backend.canteen.service.rules import (
    flagged_lost_card,
    meal_limit_refusal,
    offline_refusal,
    offline_refusal_under_lock,
    price_payment,
)
from backend.canteen.service.terminal_settings import PeriodConfig, TerminalConfig
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from backend.wallet.models import CardState

LUNCH = PeriodConfig(
    code="lunch",
    name="午餐",
    starts_minute=11 * 60,
    ends_minute=13 * 60,
    max_swipes=1,
    prices={DinerCategory.STAFF: (1500, 1000), DinerCategory.CONTRACTOR: (2000, 0)},
)
STAFF, CONTRACTOR, VISITOR = StaffCategory.ESTABLISHED, StaffCategory.OUTSOURCED, StaffCategory.VISITOR


def terminal(mode=TerminalMode.FIXED_PRICE, **limits) -> TerminalConfig:
    return TerminalConfig(
        terminal_id=1,
        canteen_id=1,
        canteen_code="ST1",
        canteen_name="第一食堂",
        mode=mode,
        max_payment_fen=limits.get("max_payment_fen", 5000),
        offline_max_payment_fen=limits.get("offline_max_payment_fen", 3000),
        offline_max_count_per_card=limits.get("offline_max_count_per_card", 3),
        periods=(LUNCH,),
    )


def refused_price(*args, **kwargs) -> str:
    """The code of the refusal `price_payment(*args, **kwargs)` raises."""
    with pytest.raises(AppError) as refused:
        price_payment(*args, **kwargs)
    return refused.value.code


def test_a_fixed_price_terminal_charges_the_diners_own_price_with_its_subsidy_cap():
    assert price_payment(terminal(), LUNCH, STAFF) == (1500, 1000)
    assert price_payment(terminal(), LUNCH, StaffCategory.CONTRACT) == (1500, 1000)  # 聘用 eat at the staff price
    assert price_payment(terminal(), LUNCH, CONTRACTOR) == (2000, 0)


def test_a_fixed_price_terminal_refuses_a_diner_without_a_price():
    assert refused_price(terminal(), LUNCH, VISITOR) == "canteen.no_price"


def test_a_free_amount_terminal_charges_the_amount_keyed_in_and_needs_one():
    free = terminal(TerminalMode.FREE_AMOUNT)
    assert price_payment(free, LUNCH, STAFF, amount_fen=880) == (880, 1000)
    assert price_payment(free, LUNCH, VISITOR, amount_fen=880) == (880, 0)  # no price needed, no subsidy
    assert refused_price(free, LUNCH, STAFF) == "canteen.amount_required"


def test_a_menu_terminal_charges_the_dishes_at_the_servers_prices():
    menu = terminal(TerminalMode.MENU)
    dishes = {7: 600, 8: 250}
    assert price_payment(menu, LUNCH, STAFF, items=((7, 1), (8, 2)), dishes=dishes) == (1100, 1000)
    assert price_payment(menu, LUNCH, STAFF, items=((7, 1),), dishes={7: 600}, menu_dish_ids=[7, 9]) == (600, 1000)


def test_a_menu_terminal_refuses_no_dishes_unknown_dishes_and_dishes_off_todays_menu():
    menu = terminal(TerminalMode.MENU)
    assert refused_price(menu, LUNCH, STAFF, dishes={7: 600}) == "canteen.items_required"
    assert refused_price(menu, LUNCH, STAFF, items=((7, 1), (99, 1)), dishes={7: 600}) == "canteen.dish_unknown"
    off_menu = {"items": ((7, 1),), "dishes": {7: 600}, "menu_dish_ids": [8]}
    assert refused_price(menu, LUNCH, STAFF, **off_menu) == "canteen.dish_unknown"


def test_a_payment_over_the_canteens_limit_is_refused_whatever_the_mode():
    free = terminal(TerminalMode.FREE_AMOUNT, max_payment_fen=5000)
    assert price_payment(free, LUNCH, STAFF, amount_fen=5000) == (5000, 1000)
    assert refused_price(free, LUNCH, STAFF, amount_fen=5001) == "canteen.over_amount_limit"
    assert refused_price(terminal(max_payment_fen=1000), LUNCH, STAFF) == "canteen.over_amount_limit"


def test_the_meal_limit_counts_the_swipes_already_paid_in_the_meal():
    assert meal_limit_refusal(LUNCH, 0) is None
    refusal = meal_limit_refusal(LUNCH, 1)
    assert refusal is not None and refusal.code == "canteen.meal_limit_reached" and "1 次" in refusal.message


def offline_code(config=None, period=LUNCH, category=STAFF, taken=1500, charged_here=()) -> str | None:
    refusal = offline_refusal(config or terminal(), period, category, taken, list(charged_here))
    return None if refusal is None else refusal.code


def test_an_offline_entry_within_the_terminals_rules_is_charged():
    assert offline_code() is None
    assert offline_code(category=CONTRACTOR, taken=2000) is None
    assert offline_code(charged_here=["breakfast", "dinner"]) is None  # other meals of the day


def test_an_offline_entry_is_held_when_only_the_terminals_word_would_price_it():
    assert offline_code(config=terminal(TerminalMode.FREE_AMOUNT)) == "canteen.offline_not_fixed_price"
    assert offline_code(config=terminal(TerminalMode.MENU)) == "canteen.offline_not_fixed_price"
    assert offline_code(period=None) == "canteen.offline_outside_period"


def test_an_offline_entry_is_held_when_the_amount_is_not_the_diners_price():
    assert offline_code(category=VISITOR) == "canteen.no_price"
    assert offline_code(taken=2000) == "canteen.offline_price_mismatch"  # staff taken at the contractor price


def test_an_offline_entry_beyond_the_terminals_limits_is_held():
    assert offline_code(config=terminal(offline_max_payment_fen=1000)) == "canteen.offline_over_limit"
    too_many = ["breakfast", "dinner", "supper"]
    assert offline_code(config=terminal(offline_max_count_per_card=3), charged_here=too_many) == (
        "canteen.offline_too_many"
    )
    assert offline_code(charged_here=["lunch"]) == "canteen.meal_limit_reached"


def test_the_rules_are_applied_in_the_terminals_order():
    """A free-amount terminal outside any period is held for its mode, the first rule."""
    assert offline_code(config=terminal(TerminalMode.FREE_AMOUNT), period=None) == "canteen.offline_not_fixed_price"
    assert offline_code(category=VISITOR, config=terminal(offline_max_payment_fen=0)) == "canteen.no_price"


def test_under_the_lock_a_closed_wallet_or_a_meal_taken_elsewhere_holds_the_entry():
    assert offline_refusal_under_lock(LUNCH, wallet_closed=False, swipes=0) is None
    closed = offline_refusal_under_lock(LUNCH, wallet_closed=True, swipes=0)
    assert closed is not None and closed.code == "canteen.offline_wallet_closed"
    elsewhere = offline_refusal_under_lock(LUNCH, wallet_closed=False, swipes=1)
    assert elsewhere is not None and elsewhere.code == "canteen.meal_limit_reached"


def test_a_card_lost_before_the_terminal_took_it_is_charged_and_flagged():
    taken = datetime(2026, 11, 2, 12, 0, tzinfo=BUSINESS_TZ)
    assert flagged_lost_card(CardState.LOST, taken - timedelta(minutes=5), taken)
    assert flagged_lost_card(CardState.CANCELLED, taken, taken)
    assert flagged_lost_card(CardState.LOST, None, taken)


def test_a_card_lost_after_the_meal_or_active_is_not_flagged():
    taken = datetime(2026, 11, 2, 12, 0, tzinfo=BUSINESS_TZ)
    assert not flagged_lost_card(CardState.LOST, taken + timedelta(minutes=5), taken)
    assert not flagged_lost_card(CardState.ACTIVE, taken - timedelta(days=1), taken)
