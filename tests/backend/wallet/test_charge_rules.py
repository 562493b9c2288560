"""The wallet's charge decisions without a database: how an amount is split between subsidy and
cash, which cards may pay, and what a caller's extra row may name."""

import pytest

from backend.accounts.models import StaffCategory
from backend.accounts.service.people import PersonSummary
from backend.wallet.models import CardState
from backend.wallet.service.charge import (
    TRANSFER_ID,
    ChargeRefusal,
    ChargeTerms,
    ExtraInsert,
    Split,
    card_refusal,
    split_payment,
)

HOLDER = PersonSummary(1, "D0001", "张三", 1, StaffCategory.ESTABLISHED, True)


def split(amount, cap, *, cash, subsidy, used=False):
    return split_payment(ChargeTerms(amount, cap, used), cash_balance=cash, subsidy_balance=subsidy)


def test_subsidy_pays_first_up_to_its_cap_then_cash():
    assert split(1500, 1000, cash=5000, subsidy=3000) == Split(subsidy_fen=1000, cash_fen=500)


def test_subsidy_pays_at_most_what_the_wallet_holds_and_what_the_meal_costs():
    assert split(1500, 1000, cash=5000, subsidy=300) == Split(300, 1200)
    assert split(800, 1000, cash=5000, subsidy=3000) == Split(800, 0)


def test_subsidy_already_used_in_the_meal_pays_nothing_more():
    assert split(1500, 1000, cash=5000, subsidy=3000, used=True) == Split(0, 1500)


def test_a_cash_balance_short_of_its_part_leaves_the_rest_as_overdraft():
    assert split(1500, 1000, cash=200, subsidy=3000) == Split(1000, 500, overdraft_fen=300)
    assert split(1500, 0, cash=0, subsidy=0) == Split(0, 1500, overdraft_fen=1500)


def test_the_cash_exactly_covering_its_part_needs_no_overdraft():
    assert split(1500, 1000, cash=500, subsidy=1000) == Split(1000, 500, overdraft_fen=0)


def test_only_an_active_card_of_a_person_on_the_roster_pays():
    assert card_refusal(CardState.ACTIVE, HOLDER) is None
    assert card_refusal(CardState.LOST, HOLDER) == ChargeRefusal.CARD_LOST
    assert card_refusal(CardState.CANCELLED, HOLDER) == ChargeRefusal.CARD_CANCELLED
    left = PersonSummary(1, "D0001", "张三", 1, StaffCategory.ESTABLISHED, False)
    assert card_refusal(CardState.ACTIVE, left) == ChargeRefusal.PERSON_INACTIVE
    assert card_refusal(CardState.LOST, left) == ChargeRefusal.CARD_LOST  # the card's state is said first


def test_an_extra_row_names_only_sql_identifiers():
    ExtraInsert("canteen_payment", {"terminal_id": 1, "transfer_id": TRANSFER_ID})
    with pytest.raises(ValueError):
        ExtraInsert("canteen_payment; DROP TABLE x", {"id": 1})
    with pytest.raises(ValueError):
        ExtraInsert("canteen_payment", {"id) VALUES (1); --": 1})
