"""Console page 定额与基准 of energy: the monthly quotas by kind (per person on the
establishment and per m²) from which budgets are computed, the baseline year's totals, and the
plan's targets against it. Whoever may see energy sees them; setting them needs
energy.manage_budgets."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor
from backend.console.forms import FormErrors, posted
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.energy.models import MEASURE, Indicator, MeterKind
from backend.energy.pages.common import FIRST_YEAR, MONTH, attempt, field, kind_options, quantity
from backend.energy.permissions import EnergyPermission as P
from backend.energy.service import quotas, targets

bp = Blueprint("console_energy_plan", url_prefix="/console/energy")

FLASH = {
    "quota": "定额已保存，自生效月份起核定预算",
    "baseline": "基准年数据已保存",
    "target": "目标已保存",
}
BASELINE_YEAR = 2020


def _year(text: str) -> int | None:
    return int(text) if text.isdigit() and FIRST_YEAR - 20 <= int(text) <= 2100 else None


async def _plan_page(request: Request, status: int = 200, which: str = "", form=None, errors=None):
    plan = await targets.targets()
    years = sorted({BASELINE_YEAR, *(t["baseline_year"] for t in plan)})
    baselines = [b for b in [await targets.baseline(y) for y in years] if b]
    return await page(
        request,
        "energy/plan.html",
        status=status,
        quotas=await quotas.quotas(),
        baselines=baselines,
        targets=plan,
        kinds=list(MeterKind),
        measure=MEASURE,
        quantity=quantity,
        kind_options=kind_options(),
        indicator_options=list(Indicator.labels().items()),
        can_manage=can(request, P.MANAGE_BUDGETS),
        which=which,
        form=form or {},
        errors=errors or FormErrors(),
        flash=flash(request, FLASH),
    )


@bp.get("/plan")
@console_page(P.VIEW_ENERGY)
async def plan(request: Request):
    return await _plan_page(request)


@bp.post("/quotas")
@console_page(P.MANAGE_BUDGETS)
async def set_quota(request: Request):
    kind = next((k for k in MeterKind if k.value == field(request, "kind")), None)
    month = MONTH.match(field(request, "effective_from"))
    errors = FormErrors()
    if kind is None:
        errors["kind"] = "请选择种类"
    if month is None or not 1 <= int(month.group(2)) <= 12:
        errors["effective_from"] = "请选择生效月份"
    if errors:
        return await _plan_page(request, 422, "quota", posted(request), errors)
    effective_from = date(int(month.group(1)), int(month.group(2)), 1)
    done, errors = await attempt(
        lambda: quotas.set_quota(
            actor(request), kind, effective_from, field(request, "per_person"), field(request, "per_m2")
        ),
        {"energy.quota_invalid": "per_person"},
    )
    if done is None:
        return await _plan_page(request, 422, "quota", posted(request), errors)
    return redirect("/console/energy/plan?done=quota")


@bp.post("/baseline")
@console_page(P.MANAGE_BUDGETS)
async def set_baseline(request: Request):
    year = _year(field(request, "year"))
    headcount_text = field(request, "headcount")
    errors = FormErrors()
    if year is None:
        errors["year"] = "请填写基准年"
    if not (headcount_text.isdigit() and len(headcount_text) <= 7):
        errors["headcount"] = "请填写在编人数（整数）"
    if errors:
        return await _plan_page(request, 422, "baseline", posted(request), errors)
    amounts = {kind: field(request, kind.value) or "0" for kind in MeterKind}
    done, errors = await attempt(
        lambda: targets.set_baseline(actor(request), year, field(request, "area"), int(headcount_text), amounts),
        {"energy.target_invalid": ""},
    )
    if done is None:
        return await _plan_page(request, 422, "baseline", posted(request), errors)
    return redirect("/console/energy/plan?done=baseline")


@bp.post("/targets")
@console_page(P.MANAGE_BUDGETS)
async def set_target(request: Request):
    indicator = next((i for i in Indicator if i.value == field(request, "indicator")), None)
    baseline_year, target_year = _year(field(request, "baseline_year")), _year(field(request, "target_year"))
    errors = FormErrors()
    if indicator is None:
        errors["indicator"] = "请选择指标"
    if baseline_year is None:
        errors["baseline_year"] = "请填写基准年"
    if target_year is None:
        errors["target_year"] = "请填写目标年"
    if errors:
        return await _plan_page(request, 422, "target", posted(request), errors)
    done, errors = await attempt(
        lambda: targets.set_target(actor(request), indicator, baseline_year, target_year, field(request, "reduction")),
        {"energy.target_invalid": "reduction"},
    )
    if done is None:
        return await _plan_page(request, 422, "target", posted(request), errors)
    return redirect("/console/energy/plan?done=target")
