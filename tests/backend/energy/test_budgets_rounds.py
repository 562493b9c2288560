"""Cut rounds followed from what was done to the meter, against a relay the tests hold: a raise
while the cut is on its way leaves one restore (the sender's undo shares its key) and the next
month restores the next round's cut; a restore that fails is asked again under a new key (at
once, then after a rest), by the evaluation and by the month's rollover, whatever the budget's
state; a raise ends the round's 100 % alert; an extension that runs out is told and waits for
the grace again. FGW's electricity budget is 200 kWh (two 在编 people, 100 kWh each)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.core.audit import CLI_ACTOR
from backend.energy.models import (
    Alert,
    AlertKind,
    Budget,
    BudgetState,
    MeterKind,
    SwitchCommand,
    SwitchReason,
    SwitchState,
)
from backend.energy.service import budgets, quotas, switching
from tests.fixtures.energy import set_month_use, this_month
from tests.fixtures.energy_rounds import CUT, KWH, NEXT_MONTH, RESTORE, SETTINGS, Relay, at, cut_and_send, keys, send


@pytest.fixture
async def quota(energy_world):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")


@pytest.fixture
def relay() -> Relay:
    return Relay()


async def withdraw_the_raise_and_cut(budget_admin, budget, relay, runtime) -> None:
    """The raise taken back: a new round of exhaustion, its cut decided after the grace and sent."""
    await budgets.adjust(budget_admin, budget.id, "-50", "追加撤回")
    await budgets.evaluate(at(10), SETTINGS)
    await budgets.evaluate(at(12), SETTINGS)
    await send(at(12), relay, runtime)


async def test_a_raise_while_the_cut_is_on_its_way_leaves_one_restore_and_the_next_round_is_restored(
    energy_world, quota, budget_admin, relay, runtime
):
    meter = energy_world.fgw_power.id
    await set_month_use(energy_world.fgw_power, 210 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    await budgets.evaluate(at(4), SETTINGS)
    budget = await Budget.get(unit_id=energy_world.fgw_id, kind=MeterKind.ELECTRICITY)
    (cut,) = await SwitchCommand.filter(action=CUT)

    async def raise_budget() -> None:
        await budgets.adjust(budget_admin, budget.id, "+50", "追加预算")

    relay.during_switch = raise_budget  # the raise lands after the sender's check, before the relay acts
    await send(at(4), relay, runtime)

    # The cut went through, and the raise's restore is the only one: the sender's undo of the
    # cut has the same key, whatever the cancelled, refused or failed rows around it.
    assert relay.on is False
    assert (await SwitchCommand.get(id=cut.id)).state is SwitchState.CONFIRMED
    assert await keys(RESTORE) == [f"restore:{budget.id}:{meter}:{cut.id}:0"]
    await send(at(4.1), relay, runtime)
    assert relay.on is True

    # Lowered again: a new round, cut after its grace, and the month's end restores it.
    await withdraw_the_raise_and_cut(budget_admin, budget, relay, runtime)
    assert relay.on is False
    second = await SwitchCommand.filter(action=CUT).order_by("-id").first()
    first_restore = await SwitchCommand.get(action=RESTORE)
    assert second.decision_key == f"cut:{budget.id}:{meter}:{first_restore.id}"

    assert await budgets.month_rollover(NEXT_MONTH + timedelta(minutes=5), SETTINGS) == 1
    await send(NEXT_MONTH + timedelta(minutes=6), relay, runtime)
    assert relay.on is True
    assert await keys(RESTORE) == [
        f"restore:{budget.id}:{meter}:{cut.id}:0",
        f"restore:{budget.id}:{meter}:{second.id}:0",
    ]
    assert not any(key.startswith("undo:") for key in await keys())
    assert await budgets.month_rollover(NEXT_MONTH + timedelta(minutes=10), SETTINGS) == 0


async def test_counting_rows_cannot_strand_a_cut(energy_world, quota, budget_admin, relay, runtime):
    """The history the old counting got wrong (one cut, two restores: the next cut never
    restored) — here with a stray cancelled restore of the budget — still restores the new cut."""
    meter = energy_world.fgw_power.id
    budget = await cut_and_send(energy_world, relay, runtime)
    await switching.request(None, meter, RESTORE, SwitchReason.BUDGET_RAISED, "stray:1", budget_id=budget.id)
    await SwitchCommand.filter(decision_key="stray:1").update(state=SwitchState.CANCELLED)
    await budgets.adjust(budget_admin, budget.id, "+50", "追加预算")
    await send(at(5), relay, runtime)
    assert relay.on is True
    await withdraw_the_raise_and_cut(budget_admin, budget, relay, runtime)
    assert relay.on is False

    await budgets.evaluate(NEXT_MONTH + timedelta(hours=1), SETTINGS)
    await send(NEXT_MONTH + timedelta(hours=1), relay, runtime)
    assert relay.on is True


@pytest.mark.parametrize("release", ["raise", "extend", "restore"])
async def test_a_failed_restore_is_asked_again_under_a_new_key_then_after_a_rest(
    energy_world, quota, budget_admin, relay, runtime, release
):
    meter = energy_world.fgw_power.id
    budget = await cut_and_send(energy_world, relay, runtime)
    (cut,) = await SwitchCommand.filter(action=CUT)
    if release == "raise":
        await budgets.adjust(budget_admin, budget.id, "+50", "追加预算")
    elif release == "extend":
        await budgets.extend(budget_admin, budget.id, NEXT_MONTH, "批准延期")
    else:
        await budgets.restore(budget_admin, budget.id, "领导批准恢复")
    relay.stuck = True
    await send(at(5), relay, runtime)
    assert (await SwitchCommand.get(action=RESTORE)).state is SwitchState.FAILED
    assert relay.on is False

    first = await budgets.evaluate(at(5.1), SETTINGS)
    assert first.restores == 1
    assert await keys(RESTORE) == [f"restore:{budget.id}:{meter}:{cut.id}:{n}" for n in (0, 1)]
    again = await SwitchCommand.get(decision_key=f"restore:{budget.id}:{meter}:{cut.id}:1")
    assert again.reason == (await SwitchCommand.get(decision_key=f"restore:{budget.id}:{meter}:{cut.id}:0")).reason
    assert (await budgets.evaluate(at(5.15), SETTINGS)).restores == 0  # one under way

    await send(at(5.2), relay, runtime)  # fails again: the next try waits for its rest
    assert (await budgets.evaluate(at(5.3), SETTINGS)).restores == 0
    relay.stuck = False
    assert (await budgets.evaluate(at(5.2) + budgets.RETRY_REST, SETTINGS)).restores == 1
    await send(at(5.2) + budgets.RETRY_REST, relay, runtime)
    assert relay.on is True
    assert (await budgets.evaluate(at(9), SETTINGS)).restores == 0
    assert await budgets.month_rollover(NEXT_MONTH + timedelta(minutes=5), SETTINGS) == 0
    assert len(await keys(RESTORE)) == 3


async def test_the_rollover_restores_a_meter_whose_restore_failed_under_a_budget_no_longer_cut(
    energy_world, quota, budget_admin, relay, runtime
):
    budget = await cut_and_send(energy_world, relay, runtime)
    await budgets.adjust(budget_admin, budget.id, "+50", "追加预算")
    relay.stuck = True
    await send(at(5), relay, runtime)
    relay.stuck = False
    assert (await Budget.get(id=budget.id)).state is BudgetState.WARNED  # not CUT: the old rollover skipped it

    assert await budgets.month_rollover(NEXT_MONTH + timedelta(minutes=5), SETTINGS) == 1
    retry = await SwitchCommand.filter(action=RESTORE).order_by("-id").first()
    assert retry.reason is SwitchReason.MONTH_ROLLOVER
    await send(NEXT_MONTH + timedelta(minutes=6), relay, runtime)
    assert relay.on is True
    assert await budgets.month_rollover(NEXT_MONTH + timedelta(minutes=10), SETTINGS) == 0


async def test_a_cut_still_due_is_left_alone_and_a_failed_cut_is_restored_when_released(
    energy_world, quota, budget_admin, relay, runtime
):
    relay.stuck = True
    budget = await cut_and_send(energy_world, relay, runtime)
    assert (await SwitchCommand.get(action=CUT)).state is SwitchState.FAILED
    assert (await budgets.evaluate(at(6), SETTINGS)).restores == 0  # still due: nothing to restore

    # A failed cut may have acted (its read-back can fail): a release restores it anyway.
    await budgets.adjust(budget_admin, budget.id, "+50", "追加预算")
    assert len(await keys(RESTORE)) == 1


async def test_a_raise_ends_the_rounds_alert_and_the_next_exhaustion_is_told_and_waits_the_grace(
    energy_world, quota, budget_admin
):
    await set_month_use(energy_world.fgw_power, 210 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    budget = await Budget.get(unit_id=energy_world.fgw_id, kind=MeterKind.ELECTRICITY)
    await budgets.adjust(budget_admin, budget.id, "+50", "追加预算")
    raised = await Budget.get(id=budget.id)
    assert (raised.alerted_100_at, raised.exhausted_at, raised.state) == (None, None, BudgetState.WARNED)

    await set_month_use(energy_world.fgw_power, 260 * KWH)
    await budgets.evaluate(at(5), SETTINGS)
    told = await Alert.filter(kind=AlertKind.BUDGET_100).order_by("id").values_list("message", flat=True)
    assert len(told) == 2 and "预算已用尽" in told[1] and "2 小时后断供" in told[1]
    await budgets.evaluate(at(6.5), SETTINGS)
    assert await SwitchCommand.filter(action=CUT).count() == 0
    await budgets.evaluate(at(7), SETTINGS)
    assert await SwitchCommand.filter(action=CUT).count() == 1
    assert await Alert.filter(kind=AlertKind.BUDGET_100).count() == 2


async def test_an_extension_that_runs_out_is_told_and_the_cut_waits_for_the_grace(energy_world, quota, budget_admin):
    await set_month_use(energy_world.fgw_power, 210 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    budget = await Budget.get(unit_id=energy_world.fgw_id, kind=MeterKind.ELECTRICITY)
    await budgets.extend(budget_admin, budget.id, NEXT_MONTH, "批准延期")
    await Budget.filter(id=budget.id).update(extended_until=at(10))  # as if granted until hour 10

    await budgets.evaluate(at(9), SETTINGS)
    assert (await Budget.get(id=budget.id)).state is BudgetState.EXTENDED
    await budgets.evaluate(at(10.5), SETTINGS)
    await budgets.evaluate(at(11.5), SETTINGS)
    assert (await Budget.get(id=budget.id)).state is BudgetState.EXHAUSTED
    assert await SwitchCommand.filter(action=CUT).count() == 0
    over = await Alert.filter(kind=AlertKind.BUDGET_100).order_by("id").values_list("message", flat=True)
    assert len(over) == 2 and "延期供应已结束" in over[1] and "2 小时后断供" in over[1]

    await budgets.evaluate(at(12), SETTINGS)
    assert (await Budget.get(id=budget.id)).state is BudgetState.CUT
    assert await SwitchCommand.filter(action=CUT).count() == 1
    assert await Alert.filter(kind=AlertKind.BUDGET_100).count() == 2
