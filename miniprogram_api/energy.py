"""Energy (能耗) in the mini-program: a unit's energy contact sees, for each unit they are the
contact of, the month's budget of each kind with its use and state, and the unit's latest
alerts. Anyone else gets an empty list; asking for a unit one is not the contact of is refused."""

from __future__ import annotations

import re
from datetime import date, datetime

from pydantic import BaseModel
from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required
from backend.accounts.service import people
from backend.core.timeutil import today
from backend.core.web.apidocs import Listed, Query, api
from backend.core.web.responses import ok
from backend.energy.errors import EnergyError
from backend.energy.service import alerts, budgets, contacts, meters

bp = Blueprint("mp_energy", url_prefix="/energy")
TITLE = "小程序·能耗"

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
ALERTS_SHOWN = 20


class BudgetOut(BaseModel):
    """One kind's budget of the month: amounts in thousandths of `measure` and as text."""

    id: int
    kind: str
    kind_label: str
    measure: str
    amount_milli: int
    used_milli: int
    amount_text: str
    used_text: str
    percent: int
    state: str
    state_label: str


class AlertOut(BaseModel):
    kind: str
    kind_label: str
    message: str
    created_at: datetime
    acknowledged: bool


class UnitEnergyOut(BaseModel):
    unit_id: int
    unit_name: str
    month: date
    budgets: list[BudgetOut]
    alerts: list[AlertOut]


def _month(request: Request) -> date:
    found = MONTH.match(request.args.get("month", ""))
    if found and 1 <= int(found.group(2)) <= 12 and 2015 <= int(found.group(1)) <= today().year:
        return date(int(found.group(1)), int(found.group(2)), 1)
    if request.args.get("month"):
        invalid = [{"field": "month", "message": "月份格式应为 YYYY-MM"}]
        raise EnergyError.REPORT_RANGE_INVALID.error(details={"fields": invalid}, problem="月份格式应为 YYYY-MM")
    return today().replace(day=1)


async def _unit(unit_id: int, month: date) -> dict:
    rows = await budgets.unit_budget(unit_id, month)
    unit_alerts = await alerts.alerts([unit_id], False, ALERTS_SHOWN)
    return {
        "unit_id": unit_id,
        "unit_name": (await people.units_by_id([unit_id]))[unit_id].name,
        "month": month,
        "budgets": [
            {
                **{k: r[k] for k in ("id", "kind", "kind_label", "measure", "amount_milli", "used_milli", "percent")},
                "amount_text": meters.milli_text(r["amount_milli"], 2),
                "used_text": meters.milli_text(r["used_milli"], 2),
                "state": r["state"],
                "state_label": r["state_label"],
            }
            for r in rows
        ],
        "alerts": [
            {
                "kind": a["kind"],
                "kind_label": a["kind_label"],
                "message": a["message"],
                "created_at": a["created_at"],
                "acknowledged": a["acknowledged_at"] is not None,
            }
            for a in unit_alerts
        ],
    }


@bp.get("")
@api(
    "我联络的单位的能耗预算、用量与告警（能耗联络员）",
    Listed[UnitEnergyOut],
    query=(Query("month", "月份（YYYY-MM，缺省本月）"),),
)
@cadre_required
async def my_units(request: Request):
    month = _month(request)
    units = await contacts.contact_units(request.ctx.principal.person_id)
    return ok({"items": [await _unit(unit_id, month) for unit_id in units]})


@bp.get("/units/<unit_id:int>")
@api(
    "一个单位的能耗预算、用量与告警（须是该单位的能耗联络员）",
    UnitEnergyOut,
    query=(Query("month", "月份（YYYY-MM，缺省本月）"),),
)
@cadre_required
async def one_unit(request: Request, unit_id: int):
    month = _month(request)
    if unit_id not in await contacts.contact_units(request.ctx.principal.person_id):
        raise EnergyError.NOT_CONTACT.error()
    return ok(await _unit(unit_id, month))
