"""STAND-IN for helper D's budgets (dropped at merge): the design's signatures, minimal bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.energy.models import Budget, BudgetState


@dataclass(frozen=True)
class EvaluateReport:
    budgets: int = 0


async def evaluate(now: datetime, settings) -> EvaluateReport:
    return EvaluateReport(await Budget.all().count())


async def month_rollover(now: datetime, settings) -> int:
    return 0


async def cut_still_due(budget_id: int, now: datetime) -> bool:
    budget = await Budget.get_or_none(id=budget_id)
    return (
        budget is not None
        and budget.state in (BudgetState.EXHAUSTED, BudgetState.CUT)
        and budget.used_milli >= budget.computed_milli + budget.adjustment_milli
        and (budget.extended_until is None or budget.extended_until <= now)
    )
