"""The canteen's card on the console dashboard: today's meals and revenue, by canteen and meal
period; the last 7 and 30 days' meals and amount as trend charts; and offline payments waiting to
be checked."""

from __future__ import annotations

from datetime import date, timedelta

from backend.canteen.permissions import CanteenPermission
from backend.canteen.service import canteens, summaries
from backend.canteen.service.summaries import DateRange
from backend.console.charts import trend_chart
from backend.core.permissions import AdminPrincipal


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    viewable = principal.scope(CanteenPermission.VIEW_PAYMENT)
    summary = canteens.by_canteen_and_period(await canteens.daily_totals(day, scope=viewable))
    names = sorted({row["canteen_name"] for row in summary})
    # Periods by the names canteens give them (two canteens' lunches are one series).
    periods = list(dict.fromkeys(r["period_name"] for r in summary))
    by_key = {(r["canteen_name"], r["period_name"]): r for r in summary}
    flagged = await canteens.flagged_count(day - timedelta(days=7), scope=viewable)
    # One grouped query for the month; the week is its last seven days.
    month = await summaries.daily_trend(DateRange(day - timedelta(days=29), day), scope=viewable)
    week = month[-7:]
    return {
        "total": sum(r["meals"] for r in summary),
        "amount_fen": sum(r["amount_fen"] for r in summary),
        "rows": summary,
        "chart": {
            "canteens": names,
            "series": [
                {
                    "name": p,
                    "meals": [by_key.get((c, p), {}).get("meals", 0) for c in names],
                }
                for p in periods
            ],
        },
        "week": _trend(week),
        "month": _trend(month),
        "flagged": flagged,
        "alerting": bool(flagged),
    }


def _trend(days: list[dict]) -> dict:
    """The sums of a run of days, its first day (for a link to its report) and its chart."""
    return {
        **summaries.totals(days),
        "start": days[0]["day"].isoformat(),
        "chart": trend_chart(days, width=400, height=150, max_labels=6),
    }
