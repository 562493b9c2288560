"""Canteen takings over any range of business days (a month, a quarter, a year at most), every
sum done by the database: per day (the trend), per canteen, per staff category, and per unit and
staff category: the settlement (结算) each unit's finance office is billed by.

Only payments still standing count: a refunded payment is marked refunded and drops out, which
nets the refund exactly as the daily report does. Days are business days (Asia/Shanghai), as
stored on each payment when it was made.

`scope` is either a canteen manager's (`canteen.view_payment`: the payments at the canteens it
reaches) or a unit finance office's (`canteen.view_settlement`: the payments of the people of the
units it reaches, at any canteen).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from backend.accounts.service import people
from backend.accounts.service.people import StaffCategory
from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.core.permissions import Scope, objects_within

# The longest range summed per request: a year, leap day included.
MAX_RANGE_DAYS = 366
# Where a payment has no person on the roster (an unregistered card charged offline).
UNREGISTERED = "未登记"
SUMS = ("meals", "amount_fen", "subsidy_fen", "cash_fen")


@dataclass(frozen=True)
class DateRange:
    """Business days from `start` to `end`, both included."""

    start: date
    end: date

    @classmethod
    def month(cls, year: int, month: int) -> DateRange:
        start = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        return cls(start, following - timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self == DateRange.month(self.start.year, self.start.month)

    @property
    def label(self) -> str:
        if self.is_month:
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"


async def _within(scope: Scope) -> Q:
    if scope.unit_paths is not None:
        # Units matched as accounts matches them (case-sensitively), not with SQL LIKE.
        return Q(person__unit_id__in=await people.units_within(scope) or [])
    return objects_within(scope, "canteen_id")


async def _standing(span: DateRange, scope: Scope, canteen: str | None, unit_id: int | None = None) -> QuerySet:
    query = CanteenPayment.filter(
        await _within(scope),
        business_date__gte=span.start,
        business_date__lte=span.end,
        status=PaymentStatus.PAID,
    )
    if canteen:
        query = query.filter(canteen__code=canteen)
    if unit_id is not None:
        query = query.filter(person__unit_id=unit_id)
    return query


async def _grouped(query: QuerySet, keys: tuple[str, ...], order: tuple[str, ...] | None = None) -> list[dict]:
    rows = await (
        query.annotate(meals=Count("id"), amount=Sum("amount_fen"), subsidy=Sum("subsidy_fen"), cash=Sum("cash_fen"))
        .group_by(*keys)
        .order_by(*(order or keys))
        .values(*keys, "meals", "amount", "subsidy", "cash")
    )
    return [
        {
            **{k: r[k] for k in keys},
            "meals": r["meals"],
            "amount_fen": int(r["amount"] or 0),
            "subsidy_fen": int(r["subsidy"] or 0),
            "cash_fen": int(r["cash"] or 0),
        }
        for r in rows
    ]


def totals(rows: list[dict]) -> dict[str, int]:
    """The sums of already summed rows (a table's total line)."""
    return {k: sum(r[k] for r in rows) for k in SUMS}


def _zero() -> dict[str, int]:
    return dict.fromkeys(SUMS, 0)


def _category_label(value: Any) -> str:
    return StaffCategory(value).label if value else UNREGISTERED


async def daily_trend(span: DateRange, *, scope: Scope, canteen: str | None = None) -> list[dict]:
    """Every day of the range in order, with its meals, amount, subsidy and cash (0 on a day
    without payments), from one grouped query."""
    rows = await _grouped(await _standing(span, scope, canteen), ("business_date",))
    by_day = {r["business_date"]: r for r in rows}
    return [{"day": day, **{k: by_day.get(day, _zero())[k] for k in SUMS}} for day in span.days]


async def by_canteen(span: DateRange, *, scope: Scope, canteen: str | None = None) -> list[dict]:
    rows = await _grouped(await _standing(span, scope, canteen), ("canteen__code", "canteen__name"))
    return [{"code": r["canteen__code"], "name": r["canteen__name"], **{k: r[k] for k in SUMS}} for r in rows]


async def by_category(span: DateRange, *, scope: Scope, canteen: str | None = None) -> list[dict]:
    """Per staff category (在编、聘用……), unregistered cards last."""
    rows = await _grouped(await _standing(span, scope, canteen), ("person__staff_category",))
    return sorted(
        (
            {
                "category": r["person__staff_category"] or "",
                "category_label": _category_label(r["person__staff_category"]),
                **{k: r[k] for k in SUMS},
            }
            for r in rows
        ),
        key=_category_order,
    )


def _category_order(row: dict) -> tuple[int, str]:
    order = [c.value for c in StaffCategory]
    return (order.index(row["category"]) if row["category"] in order else len(order), row["category"])


async def by_unit(span: DateRange, *, scope: Scope, canteen: str | None = None) -> list[dict]:
    """Per unit: its totals and, under `categories`, the same sums per staff category; units
    ordered by their place in the unit tree, payments without a person as one last line."""
    rows = await _grouped(
        await _standing(span, scope, canteen),
        ("person__unit__code", "person__unit__name", "person__unit__path", "person__staff_category"),
        order=("person__unit__path", "person__staff_category"),
    )
    units: dict[str, dict] = {}
    for r in rows:
        code = r["person__unit__code"] or ""
        unit = units.setdefault(
            code,
            {
                "code": code,
                "name": r["person__unit__name"] or UNREGISTERED,
                "path": r["person__unit__path"] or "~",
                "categories": [],
                **_zero(),
            },
        )
        unit["categories"].append(
            {
                "category": r["person__staff_category"] or "",
                "category_label": _category_label(r["person__staff_category"]),
                **{k: r[k] for k in SUMS},
            }
        )
        for k in SUMS:
            unit[k] += r[k]
    for unit in units.values():
        unit["categories"].sort(key=_category_order)
    return sorted(units.values(), key=lambda u: u["path"])


async def unit_settlement(span: DateRange, unit_code: str, *, scope: Scope) -> dict | None:
    """One unit's settlement over the range: its totals, per staff category, and per person
    (who ate how many meals, paid with how much subsidy and cash). None where the unit does not
    exist or `scope` does not reach it: a unit finance office sees its own units only, a canteen
    manager the unit's meals at their canteens."""
    unit = await people.unit_by_code(unit_code)
    if unit is None or (scope.unit_paths is not None and not scope.reaches_unit(unit.path)):
        return None
    standing = await _standing(span, scope, None, unit.id)
    categories = await _grouped(standing, ("person__staff_category",))
    persons = await _grouped(
        standing,
        ("person_id", "person__employee_no", "person__name", "person__staff_category"),
        order=("person__employee_no", "person_id"),
    )
    return {
        "code": unit.code,
        "name": unit.name,
        "categories": sorted(
            (
                {
                    "category": r["person__staff_category"],
                    "category_label": _category_label(r["person__staff_category"]),
                    **{k: r[k] for k in SUMS},
                }
                for r in categories
            ),
            key=_category_order,
        ),
        "people": [
            {
                "employee_no": r["person__employee_no"],
                "name": r["person__name"],
                "category_label": _category_label(r["person__staff_category"]),
                **{k: r[k] for k in SUMS},
            }
            for r in persons
        ],
        **totals(categories),
    }
