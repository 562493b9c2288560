"""Straight-line depreciation of an asset card, as the government accounting standard for fixed
assets (政府会计准则第3号) has it: monthly, no residual value, from the month the asset was
acquired (当月增加当月计提) until its useful life is used up; a life of 0 months is not
depreciated (land, works of art, assets kept at their value). Amounts are whole fen, rounded down
each month, so the last month of the life brings the total to the original value exactly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Depreciation:
    months: int  # months depreciated so far, the current one included
    accumulated_fen: int
    net_fen: int  # original value less accumulated depreciation (净值)
    monthly_fen: int  # this month's charge (0 once fully depreciated or not depreciated)


def months_used(purchased: date, on: date) -> int:
    """Months of depreciation charged by `on`: the purchase month counts as the first."""
    if on < purchased:
        return 0
    return (on.year - purchased.year) * 12 + on.month - purchased.month + 1


def accumulated(value_fen: int, life_months: int, months: int) -> int:
    if life_months <= 0 or months <= 0:
        return 0
    return value_fen * min(months, life_months) // life_months


def of(value_fen: int, life_months: int, purchased: date, on: date) -> Depreciation:
    used = months_used(purchased, on)
    months = min(used, life_months) if life_months > 0 else 0
    total = accumulated(value_fen, life_months, months)
    # Past the last month of its life an asset is fully depreciated: nothing more is charged.
    monthly = total - accumulated(value_fen, life_months, months - 1) if months and used <= life_months else 0
    return Depreciation(months=months, accumulated_fen=total, net_fen=value_fen - total, monthly_fen=monthly)
