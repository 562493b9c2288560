"""Console pages of the budgets (预算): each unit's budgets of the month with a progress bar per
kind and its state; a budget's page with how it was computed, its adjustments and extensions,
the cut-off and restore commands and alerts it caused, and the forms that adjust it (with a
reason, energy.manage_budgets), extend supply past exhaustion or restore a cut
(energy.switch_supply). Also the dashboard card: the units over 80 % this month."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.console.forms import FormErrors, posted
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.errors import AuthError
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import add_months, now
from backend.energy.models import MEASURE, MeterKind
from backend.energy.pages.common import (
    attempt,
    bar,
    field,
    kind_options,
    local_datetime,
    quantity,
    requested_kind,
    requested_month,
    this_month,
    units_seen,
)
from backend.energy.permissions import EnergyPermission as P
from backend.energy.service import alerts, budgets, meters

bp = Blueprint("console_energy_budgets", url_prefix="/console/energy")

FLASH = {
    "adjusted": "预算已调整；调增后不再用尽的单位将恢复供应",
    "extended": "已批准延期供应，到期前不断供",
    "restored": "已恢复供应，本月不再断供",
}
CHANGE_FIELDS = {
    "energy.budget_change_invalid": "delta",
    "energy.reason_required": "reason",
    "energy.switch_not_allowed": "",
}
# The card's threshold: a unit is listed once a budget of it is this far used.
WARN_PERCENT = 80


def _shown(row: dict, open_alerts: dict[int, int] | None = None) -> dict:
    """A budget row of `budgets` with its bar and quantities as staff read them. A budget of 0
    (no 在编 people, no area quota) is not managed: shown as 未核定, never as used up."""
    return {
        **row,
        "managed": row["amount_milli"] > 0,
        "open_alerts": (open_alerts or {}).get(row["id"], 0),
        "bar": bar(row["percent"]),
        "used_text": quantity(row["used_milli"]),
        "amount_text": quantity(row["amount_milli"]),
    }


def _by_unit(rows: list[dict], open_alerts: dict[int, int]) -> list[dict]:
    """One entry per unit, its budgets by kind, the unit with the most used first."""
    units: dict[int, dict] = {}
    for row in rows:
        unit = units.setdefault(row["unit_id"], {"unit_id": row["unit_id"], "unit_name": row["unit_name"], "kinds": {}})
        unit["kinds"][row["kind"]] = _shown(row, open_alerts)
    return sorted(units.values(), key=lambda u: (-max(b["percent"] for b in u["kinds"].values()), u["unit_name"]))


@bp.get("/budgets")
@console_page(P.VIEW_ENERGY)
async def budget_list(request: Request):
    """`?month=YYYY-MM` (this month by default) and `?kind=` choose what is shown."""
    month, kind = requested_month(request), requested_kind(request)
    seen = await units_seen(request)
    rows = await budgets.budget_status(month, seen, kind)
    open_alerts: dict[int, int] = {}
    if rows:
        for alert in await alerts.alerts(seen, unacknowledged_only=True, limit=1000):
            if alert["budget_id"]:
                open_alerts[alert["budget_id"]] = open_alerts.get(alert["budget_id"], 0) + 1
    kinds = [k for k in MeterKind if any(r["kind"] == k.value for r in rows)]
    return await page(
        request,
        "energy/budgets.html",
        month=month,
        months=[add_months(this_month(), -i) for i in range(12)],
        kind=kind.value if kind else "",
        kind_options=kind_options(),
        kinds=kinds,
        measure=MEASURE,
        units=_by_unit(rows, open_alerts),
        counts={
            "units": len({r["unit_id"] for r in rows}),
            "warned": len({r["unit_id"] for r in rows if WARN_PERCENT <= r["percent"] < 100}),
            "exhausted": len({r["unit_id"] for r in rows if r["percent"] >= 100}),
            "cut": len({r["unit_id"] for r in rows if r["state"] == "cut"}),
        },
    )


async def _budget_page(request: Request, budget_id: int, status: int = 200, errors=None, typed=None):
    detail = await budgets.budget_detail(budget_id)
    seen = await units_seen(request)
    if seen is not None and detail["unit_id"] not in seen:
        raise AuthError.OUT_OF_SCOPE.error()
    return await page(
        request,
        "energy/budget.html",
        status=status,
        b=_shown(detail),
        month=date.fromisoformat(detail["month"]),
        quantity=quantity,
        can_adjust=can(request, P.MANAGE_BUDGETS),
        can_switch=can(request, P.SWITCH_SUPPLY),
        errors=errors or FormErrors(),
        typed=typed or {},
        flash=flash(request, FLASH),
    )


@bp.get("/budgets/<budget_id:int>")
@console_page(P.VIEW_ENERGY)
async def budget(request: Request, budget_id: int):
    return await _budget_page(request, budget_id)


async def _in_reach(request: Request, budget_id: int) -> None:
    seen = await units_seen(request)
    if seen is not None and (await budgets.budget_detail(budget_id))["unit_id"] not in seen:
        raise AuthError.OUT_OF_SCOPE.error()


@bp.post("/budgets/<budget_id:int>/adjust")
@console_page(P.MANAGE_BUDGETS)
async def adjust(request: Request, budget_id: int):
    """Raise (a positive amount) or lower (a negative one) the budget, with a reason."""
    await _in_reach(request, budget_id)
    done, errors = await attempt(
        lambda: budgets.adjust(actor(request), budget_id, field(request, "delta"), field(request, "reason")),
        CHANGE_FIELDS,
    )
    if done is None:
        return await _budget_page(request, budget_id, 422, errors, {"form": "adjust", **posted(request)})
    return redirect(f"/console/energy/budgets/{budget_id}?done=adjusted")


@bp.post("/budgets/<budget_id:int>/extend")
@console_page(P.SWITCH_SUPPLY)
async def extend(request: Request, budget_id: int):
    await _in_reach(request, budget_id)
    typed = {"form": "extend", **posted(request)}
    until = local_datetime(field(request, "until"))
    if until is None or until <= now():
        return await _budget_page(request, budget_id, 422, FormErrors({"until": "请填写晚于现在的截止时间"}), typed)
    done, errors = await attempt(
        lambda: budgets.extend(actor(request), budget_id, until, field(request, "reason")),
        {**CHANGE_FIELDS, "energy.budget_change_invalid": "until"},
    )
    if done is None:
        return await _budget_page(request, budget_id, 422, errors, typed)
    return redirect(f"/console/energy/budgets/{budget_id}?done=extended")


@bp.post("/budgets/<budget_id:int>/restore")
@console_page(P.SWITCH_SUPPLY)
async def restore(request: Request, budget_id: int):
    await _in_reach(request, budget_id)
    done, errors = await attempt(
        lambda: budgets.restore(actor(request), budget_id, field(request, "reason")), CHANGE_FIELDS
    )
    if done is None:
        return await _budget_page(request, budget_id, 422, errors, {"form": "restore", **posted(request)})
    return redirect(f"/console/energy/budgets/{budget_id}?done=restored")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """能耗: the units with a budget of this month at least 80 % used, the most used first."""
    scope = await meters.scope_units(principal.scope(P.VIEW_ENERGY))
    over = [_shown(r) for r in await alerts.units_over(day.replace(day=1), WARN_PERCENT, scope)]
    over.sort(key=lambda r: -r["percent"])
    return {
        "over": over,
        "units": len({r["unit_id"] for r in over}),
        "exhausted": len({r["unit_id"] for r in over if r["percent"] >= 100}),
        "alerting": bool(over),
    }
