"""STAND-IN (helper budgets writes the real file): monthly budgets by headcount, their use and
the admins' changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from backend.accounts.service import people
from backend.core.audit import Actor
from backend.core.timeutil import now
from backend.energy.errors import EnergyError
from backend.energy.models import (
    MEASURE,
    Alert,
    AlertKind,
    Budget,
    BudgetChange,
    BudgetState,
    Meter,
    MeterKind,
    MeterRole,
    MeterShare,
)
from backend.energy.service import alerts, quotas, rollups, switching


@dataclass(frozen=True)
class EvaluateReport:
    budgets: int
    alerts: int


async def _units_with_meters(kind: MeterKind) -> set[int]:
    meters = Meter.filter(kind=kind, role=MeterRole.CONSUMPTION, is_active=True)
    own = set(await meters.filter(unit_id__not_isnull=True).values_list("unit_id", flat=True))
    shared = set(await MeterShare.filter(meter__kind=kind, meter__is_active=True).values_list("unit_id", flat=True))
    return own | shared


async def ensure_month(month: date) -> int:
    made = 0
    for kind in MeterKind:
        quota = await quotas.quota_for(kind, month)
        if quota is None:
            continue
        for unit_id in await _units_with_meters(kind):
            headcount = len(await people.active_people_under(unit_id, people.StaffCategory.ESTABLISHED))
            computed = headcount * quota.per_person_milli
            budget, created = await Budget.get_or_create(
                unit_id=unit_id,
                month=month,
                kind=kind,
                defaults={
                    "headcount": headcount,
                    "per_person_milli": quota.per_person_milli,
                    "per_m2_milli": quota.per_m2_milli,
                    "computed_milli": computed,
                },
            )
            made += created
    return made


async def unit_use(month: date, kind: MeterKind | None = None) -> dict[tuple[int, MeterKind], int]:
    query = Meter.filter(role=MeterRole.CONSUMPTION)
    if kind is not None:
        query = query.filter(kind=kind)
    meters = await query
    use = await rollups.month_use([m.id for m in meters], month)
    shares: dict[int, list[int]] = {}
    for meter_id, unit_id in await MeterShare.all().values_list("meter_id", "unit_id"):
        shares.setdefault(meter_id, []).append(unit_id)
    found: dict[tuple[int, MeterKind], int] = {}
    for meter in meters:
        amount = use.get(meter.id, 0)
        owners = [meter.unit_id] if meter.unit_id else sorted(shares.get(meter.id, []))
        for i, unit_id in enumerate(owners):
            part = amount // len(owners) + (1 if i < amount % len(owners) else 0)
            found[(unit_id, meter.kind)] = found.get((unit_id, meter.kind), 0) + part
    return found


def _amount(budget: Budget) -> int:
    return budget.computed_milli + budget.adjustment_milli


def _percent(used: int, amount: int) -> int:
    if amount <= 0:
        return 100 if used > 0 else 0
    return used * 100 // amount


async def evaluate(now_at: datetime, settings) -> EvaluateReport:
    month = now_at.date().replace(day=1)
    await ensure_month(month)
    use = await unit_use(month)
    raised = 0
    budgets = await Budget.filter(month=month)
    for budget in budgets:
        budget.used_milli = use.get((budget.unit_id, budget.kind), 0)
        percent = _percent(budget.used_milli, _amount(budget))
        if percent >= 100 and budget.state in (BudgetState.NORMAL, BudgetState.WARNED):
            budget.state, budget.exhausted_at = BudgetState.EXHAUSTED, now_at
        elif percent >= 80 and budget.state is BudgetState.NORMAL:
            budget.state = BudgetState.WARNED
        await budget.save()
        for threshold, kind in ((80, AlertKind.BUDGET_80), (100, AlertKind.BUDGET_100)):
            if percent >= threshold:
                raised += await alerts.raise_alert(
                    kind,
                    f"{budget.kind.label}预算已用 {percent}%",
                    f"budget{threshold}:{budget.id}",
                    unit_id=budget.unit_id,
                    budget_id=budget.id,
                )
    return EvaluateReport(len(budgets), raised)


async def _rows(budgets: list[Budget]) -> list[dict]:
    units = await people.units_by_id({b.unit_id for b in budgets})
    open_alerts: dict[int, int] = {}
    for budget_id in await Alert.filter(
        budget_id__in=[b.id for b in budgets], acknowledged_at__isnull=True
    ).values_list("budget_id", flat=True):
        open_alerts[budget_id] = open_alerts.get(budget_id, 0) + 1
    return [
        {
            "id": b.id,
            "unit_id": b.unit_id,
            "unit_name": units[b.unit_id].name,
            "month": b.month,
            "kind": b.kind.value,
            "kind_label": b.kind.label,
            "measure": MEASURE[b.kind],
            "amount_milli": _amount(b),
            "used_milli": b.used_milli,
            "percent": _percent(b.used_milli, _amount(b)),
            "state": b.state.value,
            "state_label": b.state.label,
            "alerts": open_alerts.get(b.id, 0),
            "extended_until": b.extended_until,
        }
        for b in budgets
    ]


async def budget_status(month: date, scope_unit_ids: list[int] | None, kind: MeterKind | None = None) -> list[dict]:
    query = Budget.filter(month=month)
    if scope_unit_ids is not None:
        query = query.filter(unit_id__in=scope_unit_ids)
    if kind is not None:
        query = query.filter(kind=kind)
    return await _rows(await query.order_by("unit_id", "kind"))


async def unit_budget(unit_id: int, month: date) -> list[dict]:
    return await _rows(await Budget.filter(unit_id=unit_id, month=month).order_by("kind"))


async def budget_detail(budget_id: int) -> dict:
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None:
        raise EnergyError.BUDGET_NOT_FOUND.error()
    row = (await _rows([budget]))[0]
    changes = await BudgetChange.filter(budget_id=budget_id).select_related("admin").order_by("-created_at")
    return {
        **row,
        "headcount": budget.headcount,
        "area_hundredths": budget.area_hundredths,
        "per_person_milli": budget.per_person_milli,
        "per_m2_milli": budget.per_m2_milli,
        "computed_milli": budget.computed_milli,
        "adjustment_milli": budget.adjustment_milli,
        "exhausted_at": budget.exhausted_at,
        "changes": [
            {
                "id": c.id,
                "created_at": c.created_at,
                "admin_name": c.admin.username,
                "delta_milli": c.delta_milli,
                "extended_until": c.extended_until,
                "reason": c.reason,
            }
            for c in changes
        ],
        "commands": [c for c in await switching.commands(None, 200) if c["budget_id"] == budget_id],
        "alert_items": [a for a in await alerts.alerts([budget.unit_id], False) if a["budget_id"] == budget_id],
    }


def _reason(reason: str) -> str:
    if not 1 <= len(reason.strip()) <= 200:
        raise EnergyError.REASON_REQUIRED.error()
    return reason.strip()


async def adjust(actor: Actor, budget_id: int, delta_text: str, reason: str) -> dict:
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None:
        raise EnergyError.BUDGET_NOT_FOUND.error()
    try:
        delta = int(Decimal(delta_text.strip()) * 1000)
    except InvalidOperation:
        raise EnergyError.BUDGET_CHANGE_INVALID.error(problem="调整量应为数字，调减写负数") from None
    if delta == 0 or _amount(budget) + delta < 0:
        raise EnergyError.BUDGET_CHANGE_INVALID.error(problem="调整量不能为 0，调减后预算不能为负")
    await BudgetChange.create(budget_id=budget_id, delta_milli=delta, reason=_reason(reason), admin_id=actor.admin_id)
    budget.adjustment_milli += delta
    if _percent(budget.used_milli, _amount(budget)) < 100 and budget.state in (BudgetState.EXHAUSTED, BudgetState.CUT):
        budget.state, budget.exhausted_at = BudgetState.WARNED, None
    await budget.save()
    return await budget_detail(budget_id)


async def extend(actor: Actor, budget_id: int, until: datetime, reason: str) -> dict:
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None:
        raise EnergyError.BUDGET_NOT_FOUND.error()
    if until <= now():
        raise EnergyError.BUDGET_CHANGE_INVALID.error(problem="延期供应的截止时间应晚于现在")
    await BudgetChange.create(
        budget_id=budget_id, extended_until=until, reason=_reason(reason), admin_id=actor.admin_id
    )
    budget.extended_until, budget.state = until, BudgetState.EXTENDED
    await budget.save()
    return await budget_detail(budget_id)


async def restore(actor: Actor, budget_id: int, reason: str) -> dict:
    budget = await Budget.get_or_none(id=budget_id)
    if budget is None:
        raise EnergyError.BUDGET_NOT_FOUND.error()
    if budget.state is not BudgetState.CUT:
        raise EnergyError.SWITCH_NOT_ALLOWED.error(problem="该预算没有断供")
    month_end = datetime(
        budget.month.year + budget.month.month // 12, budget.month.month % 12 + 1, 1, tzinfo=now().tzinfo
    )
    await BudgetChange.create(
        budget_id=budget_id, extended_until=month_end, reason=_reason(reason), admin_id=actor.admin_id
    )
    budget.extended_until, budget.state = month_end, BudgetState.EXTENDED
    await budget.save()
    return await budget_detail(budget_id)
