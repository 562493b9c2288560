"""Budgets under real concurrency on PostgreSQL: evaluations running at once raise each alert
once and request one cut per meter; a raise racing the evaluation that would cut leaves no cut
due (a cut decided first is answered by a restore, and the sender cancels it)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import day_start
from backend.energy.config import EnergySettings
from backend.energy.models import Alert, AlertKind, Budget, BudgetState, MeterKind, SwitchAction, SwitchCommand
from backend.energy.service import budgets, quotas
from tests.fixtures.energy import set_month_use, this_month

SETTINGS = EnergySettings(cut_grace_hours=2)
KWH = 1000


def at(hours: float):
    return day_start(this_month()) + timedelta(hours=hours)


async def evaluate_at_once(hours: float, copies: int = 6) -> list[budgets.EvaluateReport]:
    return await asyncio.gather(*(budgets.evaluate(at(hours), SETTINGS) for _ in range(copies)))


async def test_evaluations_at_once_raise_each_alert_once_and_cut_each_meter_once(energy_world, requires_postgres):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")

    await set_month_use(energy_world.fgw_power, 170 * KWH)
    await evaluate_at_once(1)
    await set_month_use(energy_world.fgw_power, 230 * KWH)
    await set_month_use(energy_world.shared_power, 10 * KWH)  # CZJ (a budget of 0: not managed) gets 6 kWh
    await evaluate_at_once(2)
    reports = await evaluate_at_once(5)

    assert await Budget.filter(month=this_month()).count() == 2
    kinds = await Alert.filter(unit_id=energy_world.fgw_id).order_by("id").values_list("kind", flat=True)
    assert kinds == [AlertKind.BUDGET_80, AlertKind.BUDGET_100]
    assert not await Alert.filter(unit_id=energy_world.czj_id).exists()
    cuts = await SwitchCommand.filter(action=SwitchAction.CUT).values_list("meter_id", flat=True)
    assert cuts == [energy_world.fgw_power.id]
    assert sum(r.cuts for r in reports) == 1
    states = dict(await Budget.all().values_list("unit_id", "state"))
    assert states == {energy_world.fgw_id: BudgetState.CUT, energy_world.czj_id: BudgetState.NORMAL}


async def test_a_raise_racing_the_cutting_evaluation_leaves_no_cut_due(energy_world, budget_admin, requires_postgres):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    await set_month_use(energy_world.fgw_power, 210 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    budget = await Budget.get(unit_id=energy_world.fgw_id, kind=MeterKind.ELECTRICITY)
    assert budget.state == BudgetState.EXHAUSTED

    await asyncio.gather(
        budgets.evaluate(at(4), SETTINGS),
        budgets.adjust(budget_admin, budget.id, "+100", "追加预算"),
        budgets.evaluate(at(4), SETTINGS),
    )

    budget = await Budget.get(id=budget.id)
    assert (budget.state, budget.adjustment_milli) == (BudgetState.NORMAL, 100 * KWH)
    assert not await budgets.cut_still_due(budget.id, at(4))
    cuts = await SwitchCommand.filter(action=SwitchAction.CUT).count()
    restores = await SwitchCommand.filter(action=SwitchAction.RESTORE).count()
    assert cuts == restores <= 1
