"""Restores of stranded cuts under real concurrency on PostgreSQL: evaluations and rollovers at
once ask a failed restore again once (one key per retry round), and restore a past month's cut
once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from backend.core.audit import CLI_ACTOR
from backend.energy.models import MeterKind, SwitchAction, SwitchCommand, SwitchState
from backend.energy.service import budgets, quotas
from tests.fixtures.energy import this_month
from tests.fixtures.energy_rounds import NEXT_MONTH, SETTINGS, Relay, at, cut_and_send, send


async def test_racing_evaluations_ask_a_failed_restore_again_once(
    energy_world, budget_admin, runtime, requires_postgres
):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    relay = Relay()
    budget = await cut_and_send(energy_world, relay, runtime)
    await budgets.adjust(budget_admin, budget.id, "+50", "追加预算")
    relay.stuck = True
    await send(at(5), relay, runtime)

    reports = await asyncio.gather(*(budgets.evaluate(at(5.1), SETTINGS) for _ in range(6)))

    assert sum(r.restores for r in reports) == 1
    restores = await SwitchCommand.filter(action=SwitchAction.RESTORE).order_by("id").values_list("state", flat=True)
    assert restores == [SwitchState.FAILED, SwitchState.PENDING]


async def test_racing_rollovers_and_evaluations_restore_a_past_cut_once(energy_world, runtime, requires_postgres):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    relay = Relay()
    await cut_and_send(energy_world, relay, runtime)
    later = NEXT_MONTH + timedelta(minutes=5)

    done = await asyncio.gather(
        *(budgets.month_rollover(later, SETTINGS) for _ in range(3)),
        *(budgets.evaluate(later, SETTINGS) for _ in range(3)),
    )

    assert sum(d if isinstance(d, int) else d.restores for d in done) == 1
    assert await SwitchCommand.filter(action=SwitchAction.RESTORE).count() == 1
    await send(later, relay, runtime)
    assert relay.on is True
