"""The canteen's card on the console dashboard: today's meals and revenue, by canteen and meal
period, and offline payments waiting to be checked."""

from __future__ import annotations

from datetime import date, timedelta

from backend.canteen.permissions import CanteenPermission
from backend.canteen.service import canteens
from backend.canteen.service.reports import PERIOD_NAMES
from backend.core.permissions import AdminPrincipal


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    viewable = principal.scope(CanteenPermission.VIEW_PAYMENT)
    summary = canteens.by_canteen_and_period(await canteens.daily_totals(day, scope=viewable))
    names = sorted({row["canteen_name"] for row in summary})
    periods = [p for p in PERIOD_NAMES if any(r["period"] == p for r in summary)]
    by_key = {(r["canteen_name"], r["period"]): r for r in summary}
    flagged = await canteens.flagged_count(day - timedelta(days=7), scope=viewable)
    return {
        "total": sum(r["meals"] for r in summary),
        "amount_fen": sum(r["amount_fen"] for r in summary),
        "rows": summary,
        "period_names": PERIOD_NAMES,
        "chart": {
            "canteens": names,
            "series": [
                {
                    "name": PERIOD_NAMES[p],
                    "meals": [by_key.get((c, p), {}).get("meals", 0) for c in names],
                }
                for p in periods
            ],
        },
        "flagged": flagged,
        "alerting": bool(flagged),
    }
