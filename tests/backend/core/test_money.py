"""Amounts typed in yuan become exact fen; anything that is not an amount is refused."""

import pytest

from backend.core.money import format_yuan, parse_yuan


@pytest.mark.parametrize(
    "text, fen", [("12", 1200), ("12.5", 1250), ("0.01", 1), ("¥1,234.56", 123456), (" 3.10 ", 310), ("-5", -500)]
)
def test_yuan_text_becomes_exact_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "1e3", "1.", ".5", "NaN", "12元", "9999999999"])
def test_what_is_not_an_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_yuan(text)


def test_fen_shows_as_yuan_with_separators():
    assert (format_yuan(123456), format_yuan(5), format_yuan(-250)) == ("1,234.56", "0.05", "-2.50")
