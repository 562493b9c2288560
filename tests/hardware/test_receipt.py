"""Receipt layout: yuan amounts, double-width Chinese, 58 mm and 80 mm paper."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hardware.receipt import Fen, Receipt, display_width, paper_columns, render_receipt

SHANGHAI = ZoneInfo("Asia/Shanghai")


def canteen_receipt(**changes) -> Receipt:
    fields = dict(
        title="市机关第一食堂",
        lines=[("午餐", Fen(1250)), ("补贴", Fen(-300)), ("余额", Fen(8605))],
        time=datetime(2026, 3, 2, 12, 5, 9, tzinfo=SHANGHAI),
        transaction_no="P20260302120509000123",
    )
    return Receipt(**{**fields, **changes})


@pytest.mark.parametrize(
    ("fen", "yuan"), [(1250, "12.50"), (5, "0.05"), (0, "0.00"), (-300, "-3.00"), (100000, "1000.00")]
)
def test_amount_in_fen_prints_as_yuan(fen, yuan):
    assert str(Fen(fen)) == yuan


@pytest.mark.parametrize("amount", [12.5, "1250", True])
def test_amount_must_be_whole_fen(amount):
    with pytest.raises(TypeError):
        Fen(amount)


def test_chinese_and_full_width_characters_take_two_columns():
    assert display_width("午餐 12.50") == 10
    assert display_width("合计：") == 6
    assert display_width("2×") == 3


def test_paper_widths_have_their_columns_and_others_are_refused():
    assert (paper_columns(58), paper_columns(80)) == (32, 48)
    with pytest.raises(ValueError, match="58 or 80"):
        paper_columns(76)


@pytest.mark.parametrize("width_mm", [58, 80])
def test_every_receipt_line_fits_the_paper_exactly_or_less(width_mm):
    columns = paper_columns(width_mm)
    lines = render_receipt(canteen_receipt(), columns)
    assert all(display_width(line) <= columns for line in lines)
    assert f"午餐{' ' * (columns - 4 - 5)}12.50" in lines


def test_58mm_receipt_reads_as_a_canteen_receipt():
    assert render_receipt(canteen_receipt(), 32) == [
        "         市机关第一食堂",
        "--------------------------------",
        "午餐                       12.50",
        "补贴                       -3.00",
        "余额                       86.05",
        "--------------------------------",
        "时间         2026-03-02 12:05:09",
        "流水号     P20260302120509000123",
    ]


def test_label_and_value_too_wide_for_one_line_go_on_lines_of_their_own():
    lines = render_receipt(canteen_receipt(lines=[("共富食味坊预订：有机蔬菜礼盒（五公斤装）", "2份")]), 32)
    assert lines[2:5] == ["共富食味坊预订：有机蔬菜礼盒（五", "公斤装）", "                             2份"]
