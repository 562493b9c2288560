"""Budgets under evaluation: each alert once, the cut once per meter after the grace and only of
the unit's own switchable meters, restores on an extension, a raise, an admin's restore and the
month's rollover. The demo roster gives FGW two 在编 people and CZJ none; with 100 kWh a person
FGW's electricity budget is 200 kWh."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import day_start
from backend.energy.config import EnergySettings
from backend.energy.models import (
    Alert,
    AlertKind,
    Budget,
    BudgetChange,
    BudgetState,
    MeterKind,
    SwitchAction,
    SwitchCommand,
    SwitchReason,
)
from backend.energy.service import budgets, contacts, quotas
from backend.notices.models import Notice
from tests.fixtures.energy import set_month_use, this_month

SETTINGS = EnergySettings(cut_grace_hours=2)
KWH = 1000


def at(hours: float):
    """A moment this month, `hours` after it began (evaluation is told the time)."""
    return day_start(this_month()) + timedelta(hours=hours)


async def fgw_power_budget(world) -> Budget:
    return await Budget.get(unit_id=world.fgw_id, month=this_month(), kind=MeterKind.ELECTRICITY)


async def commands(meter=None, action=None) -> list[SwitchCommand]:
    query = SwitchCommand.all()
    if meter is not None:
        query = query.filter(meter_id=meter.id)
    if action is not None:
        query = query.filter(action=action)
    return await query.order_by("id")


@pytest.fixture
async def quota(energy_world):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")


async def exhaust_and_cut(world) -> Budget:
    """FGW's electricity used up at hour 1 and cut at hour 4 (grace 2 hours)."""
    await set_month_use(world.fgw_power, 210 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    await budgets.evaluate(at(4), SETTINGS)
    budget = await fgw_power_budget(world)
    assert budget.state == BudgetState.CUT
    return budget


async def test_a_unit_crossing_80_and_100_percent_gets_each_alert_once(energy_world, quota):
    zhang = (await people.people_by_employee_no(["D0001"]))["D0001"]
    await contacts.add_contact(CLI_ACTOR, energy_world.fgw_id, zhang)

    await set_month_use(energy_world.fgw_power, 150 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    assert await Alert.all().count() == 0
    assert (await fgw_power_budget(energy_world)).state == BudgetState.NORMAL

    await set_month_use(energy_world.fgw_power, 165 * KWH)
    for hour in (2, 3):
        await budgets.evaluate(at(hour), SETTINGS)
    budget = await fgw_power_budget(energy_world)
    assert (budget.state, budget.used_milli) == (BudgetState.WARNED, 165 * KWH)

    await set_month_use(energy_world.fgw_power, 201 * KWH)
    for hour in (4, 4.5):
        await budgets.evaluate(at(hour), SETTINGS)

    fgw_alerts = await Alert.filter(unit_id=energy_world.fgw_id).order_by("id")
    assert [a.kind for a in fgw_alerts] == [AlertKind.BUDGET_80, AlertKind.BUDGET_100]
    assert "82%" in fgw_alerts[0].message and "已用尽" in fgw_alerts[1].message
    budget = await fgw_power_budget(energy_world)
    assert budget.state == BudgetState.EXHAUSTED and budget.exhausted_at == at(4)
    told = await Notice.filter(template="energy.alert").order_by("id").values_list("person_id", "subject_id")
    assert told == [(zhang, fgw_alerts[0].id), (zhang, fgw_alerts[1].id)]


async def test_a_budget_used_up_at_one_go_sends_one_alert_not_two(energy_world, quota):
    await set_month_use(energy_world.fgw_power, 250 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    await set_month_use(energy_world.fgw_power, 150 * KWH)  # a held reading rejected: use goes down
    await budgets.evaluate(at(2), SETTINGS)
    await set_month_use(energy_world.fgw_power, 170 * KWH)
    await budgets.evaluate(at(3), SETTINGS)
    assert await Alert.filter(unit_id=energy_world.fgw_id).values_list("kind", flat=True) == [AlertKind.BUDGET_100]


async def test_the_cut_is_requested_once_per_meter_after_the_grace(energy_world, quota):
    await set_month_use(energy_world.fgw_power, 210 * KWH)
    await budgets.evaluate(at(1), SETTINGS)
    report = await budgets.evaluate(at(2.5), SETTINGS)
    assert report.cuts == 0 and await commands() == []

    report = await budgets.evaluate(at(3), SETTINGS)
    again = await budgets.evaluate(at(5), SETTINGS)

    assert (report.cuts, again.cuts) == (1, 0)
    budget = await fgw_power_budget(energy_world)
    (cut,) = await commands()
    assert (cut.meter_id, cut.action, cut.reason, cut.budget_id) == (
        energy_world.fgw_power.id,
        SwitchAction.CUT,
        SwitchReason.BUDGET_EXHAUSTED,
        budget.id,
    )
    assert cut.decision_key == f"cut:{budget.id}:{energy_world.fgw_power.id}:0"
    assert budget.state == BudgetState.CUT
    assert await budgets.cut_still_due(budget.id, at(6))


async def test_safety_circuits_shared_meters_and_manual_meters_are_never_cut(energy_world, quota):
    await quotas.set_quota(CLI_ACTOR, MeterKind.WATER, this_month(), "1", "")
    # FGW uses far past its budget on every meter it has, and CZJ (no 在编 people: a budget of
    # 0, not managed) its share of the shared meter and its own.
    for meter in (energy_world.fgw_power, energy_world.fgw_safety, energy_world.fgw_water):
        await set_month_use(meter, 900 * KWH)
    await set_month_use(energy_world.shared_power, 100 * KWH)
    await set_month_use(energy_world.czj_power, 100 * KWH)
    for hour in (1, 10, 20):
        await budgets.evaluate(at(hour), SETTINGS)

    cut = await commands(action=SwitchAction.CUT)
    assert [c.meter_id for c in cut] == [energy_world.fgw_power.id]
    water = await Budget.get(unit_id=energy_world.fgw_id, kind=MeterKind.WATER)
    assert water.state == BudgetState.EXHAUSTED  # used up, but a manual meter has nothing to switch


async def test_an_extension_restores_the_cut_and_holds_off_the_next(energy_world, quota, budget_admin):
    budget = await exhaust_and_cut(energy_world)

    view = await budgets.extend(budget_admin, budget.id, budgets.month_end(this_month()), "年终结算加班，批准延期")

    assert view["state"] == BudgetState.EXTENDED
    (restore,) = await commands(action=SwitchAction.RESTORE)
    assert (restore.meter_id, restore.reason) == (energy_world.fgw_power.id, SwitchReason.EXTENSION)
    assert restore.requested_by_id == budget_admin.admin_id
    assert not await budgets.cut_still_due(budget.id, at(5))
    await set_month_use(energy_world.fgw_power, 400 * KWH)
    await budgets.evaluate(at(30), SETTINGS)
    assert len(await commands(action=SwitchAction.CUT)) == 1
    assert (await fgw_power_budget(energy_world)).state == BudgetState.EXTENDED
    change = await BudgetChange.get(budget_id=budget.id)
    assert (change.reason, change.admin_id) == ("年终结算加班，批准延期", budget_admin.admin_id)
    assert await AuditEntry.filter(action="energy.extend_budget", object_id=str(budget.id)).count() == 1


async def test_a_raise_above_use_restores_and_a_later_cut_is_a_new_round(energy_world, quota, budget_admin):
    budget = await exhaust_and_cut(energy_world)

    view = await budgets.adjust(budget_admin, budget.id, "+50", "新增临时办公人员")

    assert (view["state"], view["amount"], view["percent"]) == (BudgetState.WARNED, "250", 84)
    (restore,) = await commands(action=SwitchAction.RESTORE)
    assert restore.reason == SwitchReason.BUDGET_RAISED
    assert not await budgets.cut_still_due(budget.id, at(5))

    await budgets.adjust(budget_admin, budget.id, "-50", "临时人员已撤回")
    await budgets.evaluate(at(10), SETTINGS)
    await budgets.evaluate(at(13), SETTINGS)

    cuts = await commands(action=SwitchAction.CUT)
    # The second round's cut is keyed by the restore that ended the first.
    assert [c.decision_key for c in cuts] == [
        f"cut:{budget.id}:{energy_world.fgw_power.id}:0",
        f"cut:{budget.id}:{energy_world.fgw_power.id}:{restore.id}",
    ]
    # Used up again after the raise: a new round, told again before its cut.
    assert await Alert.filter(kind=AlertKind.BUDGET_100).count() == 2
    assert [c.delta_milli for c in await BudgetChange.filter(budget_id=budget.id).order_by("id")] == [50_000, -50_000]


async def test_an_admins_restore_keeps_the_budget_used_up_and_supplies_to_the_month_end(
    energy_world, quota, budget_admin
):
    budget = await exhaust_and_cut(energy_world)

    view = await budgets.restore(budget_admin, budget.id, "局领导批准恢复")

    assert view["state"] == BudgetState.EXTENDED and view["percent"] == 105
    assert view["extended_until"] == budgets.month_end(this_month()).isoformat()
    (restore,) = await commands(action=SwitchAction.RESTORE)
    assert (restore.reason, restore.note) == (SwitchReason.MANUAL, "局领导批准恢复")
    with pytest.raises(AppError) as refused:
        await budgets.restore(budget_admin, budget.id, "再恢复一次")
    assert refused.value.code == "energy.budget_change_invalid"
    assert len(await commands(action=SwitchAction.RESTORE)) == 1


async def test_the_months_rollover_restores_every_cut_meter_once(energy_world, quota):
    budget = await exhaust_and_cut(energy_world)
    next_month = budgets.month_end(this_month())

    restored = await budgets.month_rollover(next_month + timedelta(minutes=5), SETTINGS)
    again = await budgets.month_rollover(next_month + timedelta(minutes=10), SETTINGS)
    report = await budgets.evaluate(next_month + timedelta(minutes=15), SETTINGS)

    assert (restored, again, report.restores) == (1, 0, 0)
    (restore,) = await commands(action=SwitchAction.RESTORE)
    assert (restore.meter_id, restore.reason) == (energy_world.fgw_power.id, SwitchReason.MONTH_ROLLOVER)
    assert (await Budget.get(id=budget.id)).state == BudgetState.EXHAUSTED
    new = await Budget.get(unit_id=energy_world.fgw_id, month=next_month.date(), kind=MeterKind.ELECTRICITY)
    assert (new.state, new.computed_milli) == (BudgetState.NORMAL, 200 * KWH)
    assert not await budgets.cut_still_due(budget.id, next_month + timedelta(minutes=20))


async def test_evaluation_restores_a_past_months_cut_when_the_rollover_job_did_not_run(energy_world, quota):
    await exhaust_and_cut(energy_world)

    report = await budgets.evaluate(budgets.month_end(this_month()) + timedelta(hours=3), SETTINGS)

    assert report.restores == 1
    (restore,) = await commands(action=SwitchAction.RESTORE)
    assert restore.reason == SwitchReason.MONTH_ROLLOVER


@pytest.mark.parametrize(
    ("delta", "reason", "code"),
    [
        ("很多", "原因", "energy.budget_change_invalid"),
        ("0", "原因", "energy.budget_change_invalid"),
        ("1.0001", "原因", "energy.budget_change_invalid"),
        ("-500", "原因", "energy.budget_change_invalid"),
        ("+10", "  ", "energy.reason_required"),
        ("+10", "长" * 201, "energy.reason_required"),
    ],
)
async def test_a_bad_adjustment_is_refused_and_changes_nothing(energy_world, quota, budget_admin, delta, reason, code):
    await budgets.ensure_month(this_month())
    budget = await fgw_power_budget(energy_world)
    with pytest.raises(AppError) as refused:
        await budgets.adjust(budget_admin, budget.id, delta, reason)
    assert refused.value.code == code
    assert (await fgw_power_budget(energy_world)).adjustment_milli == 0
    assert await BudgetChange.all().count() == 0 and await AuditEntry.filter(action="energy.adjust_budget").count() == 0


async def test_an_extension_past_the_month_or_of_another_month_is_refused(energy_world, quota, budget_admin):
    budget = await exhaust_and_cut(energy_world)
    with pytest.raises(AppError) as too_long:
        await budgets.extend(budget_admin, budget.id, budgets.month_end(this_month()) + timedelta(days=1), "延期")
    assert too_long.value.code == "energy.budget_change_invalid"
    with pytest.raises(AppError) as missing:
        await budgets.extend(budget_admin, 999_999, budgets.month_end(this_month()), "延期")
    assert missing.value.code == "energy.budget_not_found"
    assert await commands(action=SwitchAction.RESTORE) == []
