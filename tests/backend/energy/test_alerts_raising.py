"""Alerts: raised once per dedupe key, filed under the meter's unit, listed by scope, acknowledged
once (audited); the dashboard's units over 80 %."""

from __future__ import annotations

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.energy.models import Alert, AlertKind, Budget, MeterKind
from backend.energy.service import alerts, budgets, quotas
from tests.fixtures.energy import this_month


async def test_an_alert_is_raised_once_per_dedupe_key(energy_world):
    raised = [
        await alerts.raise_alert(AlertKind.METER_SILENT, "E-CZJ-01 连续 4 次无应答", "silent:1", meter_id=m)
        for m in (energy_world.czj_power.id, energy_world.czj_power.id)
    ]
    assert raised == [True, False]
    (alert,) = await Alert.all()
    assert (alert.unit_id, alert.meter_id) == (energy_world.czj_id, energy_world.czj_power.id)


async def test_alerts_are_listed_newest_first_within_scope(energy_world):
    await alerts.raise_alert(AlertKind.METER_SILENT, "财政局电表无应答", "a", meter_id=energy_world.czj_power.id)
    await alerts.raise_alert(AlertKind.READING_HELD, "公共照明读数倒退", "b", meter_id=energy_world.shared_power.id)
    await alerts.raise_alert(AlertKind.READING_HELD, "发改委读数突增", "c", meter_id=energy_world.fgw_power.id)

    everything = await alerts.alerts(None, unacknowledged_only=False)
    fgw = await alerts.alerts([energy_world.fgw_id], unacknowledged_only=False)

    assert [a["message"] for a in everything] == ["发改委读数突增", "公共照明读数倒退", "财政局电表无应答"]
    assert [(a["message"], a["meter_code"], a["unit_name"]) for a in fgw] == [
        ("发改委读数突增", "E-FGW-01", "市发展和改革委员会")
    ]


async def test_acknowledging_is_recorded_once(energy_world, budget_admin):
    await alerts.raise_alert(AlertKind.METER_SILENT, "财政局电表无应答", "a", meter_id=energy_world.czj_power.id)
    (alert,) = await Alert.all()

    first = await alerts.acknowledge(budget_admin, alert.id)
    second = await alerts.acknowledge(CLI_ACTOR, alert.id)

    assert first["acknowledged_by"] == "energy_office" and second == first
    assert await alerts.alerts(None, unacknowledged_only=True) == []
    assert await AuditEntry.filter(action="energy.acknowledge_alert").count() == 1
    with pytest.raises(AppError) as missing:
        await alerts.acknowledge(budget_admin, 999_999)
    assert missing.value.code == "energy.alert_not_found"


async def test_units_over_lists_the_budgets_used_80_percent_or_more(energy_world):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "1")
    await budgets.ensure_month(this_month())
    await Budget.filter(unit_id=energy_world.fgw_id).update(used_milli=200_000)  # of 240 kWh
    await Budget.filter(unit_id=energy_world.czj_id).update(used_milli=45_000)  # of 60 kWh

    over = await alerts.units_over(this_month(), 80, None)
    scoped = await alerts.units_over(this_month(), 80, [energy_world.czj_id])

    assert [(r["unit_name"], r["percent"], r["used"], r["amount"], r["measure"], r["state_label"]) for r in over] == [
        ("市发展和改革委员会", 83, "200", "240", "千瓦时", "正常")
    ]
    # The budget row shape of `budgets.budget_status`, which the dashboard card reads.
    assert (over[0]["used_milli"], over[0]["amount_milli"]) == (200_000, 240_000)
    assert over[0]["id"] == (await Budget.get(unit_id=energy_world.fgw_id)).id
    assert scoped == []
    assert [r["unit_name"] for r in await alerts.units_over(this_month(), 75, None)] == [
        "市发展和改革委员会",
        "市财政局",
    ]


async def test_units_over_leaves_out_a_budget_of_0_however_much_is_used(energy_world):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "1")
    await budgets.ensure_month(this_month())
    await Budget.filter(unit_id=energy_world.fgw_id).update(computed_milli=0, used_milli=50_000)

    assert [r["unit_name"] for r in await alerts.units_over(this_month(), 0, None)] == []
