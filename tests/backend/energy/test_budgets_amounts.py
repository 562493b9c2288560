"""What a budget amounts to and what a unit has used: headcount (在编, the unit's subtree, from the
roster as it is now) × quota per person + room area × quota per m²; use from the unit's own meters
and its part of shared ones, apportioned exactly; the status rows the budget page shows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.accounts.models import StaffCategory
from backend.accounts.service import people, personnel
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.core.timeutil import now
from backend.energy.config import EnergySettings
from backend.energy.models import Apportion, Budget, BudgetState, Meter, MeterKind, MeterShare
from backend.energy.service import budgets, quotas
from backend.places import service as places
from tests.fixtures.energy import set_month_use, this_month

KWH = 1000


async def fgw_power_budget(world) -> Budget:
    return await Budget.get(unit_id=world.fgw_id, month=this_month(), kind=MeterKind.ELECTRICITY)


async def test_headcount_counts_active_established_people_in_the_units_subtree(energy_world):
    units = {u["code"]: u["id"] for u in await people.list_units(Scope.EVERYTHING)}
    counts = await people.established_headcount([units["FGW"], units["FGW-BGS"], units["CZJ"], units["SJGSW"]])
    # 聘用 and 外包 people of CZJ-BGS do not count; SJGSW's subtree is everyone 在编.
    assert counts == {units["FGW"]: 2, units["FGW-BGS"]: 1, units["CZJ"]: 0, units["SJGSW"]: 3}


async def test_area_counts_building_area_or_else_use_area_of_rooms_held_in_the_subtree(energy_world):
    units = {u["code"]: u["id"] for u in await people.list_units(Scope.EVERYTHING)}
    floor = (await places.active_place(energy_world.room_fgw_id))["parent_id"]
    room = await places.create_place(CLI_ACTOR, "403", floor)
    await places.set_room_facts(None, CLI_ACTOR, room["id"], 1550, None, places.RoomUse.SERVICE, units["FGW-GHC"])

    areas = await places.area_by_unit([units["FGW"], units["CZJ"], units["FGW-GHC"], units["SJGSW"]])

    assert areas == {units["FGW"]: 5550, units["CZJ"]: 6000, units["FGW-GHC"]: 1550, units["SJGSW"]: 11550}


async def test_budgets_are_made_for_agencies_and_metered_units_of_each_kind_with_a_quota(energy_world):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "0.5")

    created = await budgets.ensure_month(this_month())
    again = await budgets.ensure_month(this_month())

    assert (created, again) == (2, 0)
    rows = {
        b.unit_id: (b.headcount, b.area_hundredths, b.computed_milli)
        for b in await Budget.filter(month=this_month()).order_by("id")
    }
    # FGW: 2 × 100 kWh + 40 m² × 0.5 kWh; CZJ: nobody 在编, 60 m² × 0.5 kWh.
    assert rows == {energy_world.fgw_id: (2, 4000, 220 * KWH), energy_world.czj_id: (0, 6000, 30 * KWH)}


async def test_budgets_follow_a_headcount_change_in_the_roster(energy_world, runtime):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    await budgets.ensure_month(this_month())
    assert (await fgw_power_budget(energy_world)).headcount == 2

    await personnel.create_person(
        CLI_ACTOR,
        runtime.cipher,
        Scope.EVERYTHING,
        employee_no="D0101",
        name="赵敏",
        unit_code="FGW-GHC",
        staff_category=StaffCategory.ESTABLISHED,
        phone=None,
        id_card=None,
    )
    zhang = (await people.people_by_employee_no(["D0001"]))["D0001"]
    await personnel.move_person(CLI_ACTOR, Scope.EVERYTHING, zhang, "CZJ-BGS", "调任市财政局")
    await budgets.ensure_month(this_month())

    fgw = await fgw_power_budget(energy_world)
    czj = await Budget.get(unit_id=energy_world.czj_id, kind=MeterKind.ELECTRICITY)
    assert (fgw.headcount, fgw.computed_milli) == (2, 200 * KWH)  # one came, one went
    assert (czj.headcount, czj.computed_milli) == (1, 100 * KWH)


async def test_a_headcount_rise_that_lifts_a_cut_budget_above_use_restores_supply(energy_world, runtime):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    await set_month_use(energy_world.fgw_power, 250 * KWH)
    settings = EnergySettings(cut_grace_hours=0)
    moment = budgets.month_end(this_month()) - timedelta(hours=1)
    await budgets.evaluate(moment, settings)
    assert (await fgw_power_budget(energy_world)).state == BudgetState.CUT

    await personnel.create_person(
        CLI_ACTOR,
        runtime.cipher,
        Scope.EVERYTHING,
        employee_no="D0102",
        name="钱进",
        unit_code="FGW-BGS",
        staff_category=StaffCategory.ESTABLISHED,
        phone=None,
        id_card=None,
    )
    report = await budgets.evaluate(moment, settings)

    budget = await fgw_power_budget(energy_world)
    assert (budget.computed_milli, budget.state, report.restores) == (300 * KWH, BudgetState.WARNED, 1)


async def test_a_shared_meter_is_apportioned_exactly_by_area_or_by_headcount(energy_world):
    await set_month_use(energy_world.fgw_power, 10 * KWH)
    await set_month_use(energy_world.shared_power, 1_001)  # 1.001 kWh among 40 m² and 60 m²

    by_area = await budgets.unit_use(this_month(), MeterKind.ELECTRICITY)

    assert by_area == {
        (energy_world.fgw_id, MeterKind.ELECTRICITY): 10 * KWH + 400,
        (energy_world.czj_id, MeterKind.ELECTRICITY): 601,
    }
    await Meter.filter(id=energy_world.shared_power.id).update(apportion=Apportion.HEADCOUNT)
    by_headcount = await budgets.unit_use(this_month(), MeterKind.ELECTRICITY)
    # CZJ has nobody 在编: FGW carries the whole shared meter.
    assert by_headcount == {(energy_world.fgw_id, MeterKind.ELECTRICITY): 10 * KWH + 1_001}


def test_largest_remainder_parts_sum_to_the_whole():
    assert budgets.apportion(10, {1: 1, 2: 1, 3: 1}) == {1: 4, 2: 3, 3: 3}
    assert budgets.apportion(7, {5: 0, 6: 0}) == {5: 4, 6: 3}
    parts = budgets.apportion(1_000_003, {1: 4000, 2: 6000, 3: 1550})
    assert sum(parts.values()) == 1_000_003 and parts == {1: 346_321, 2: 519_482, 3: 134_200}


async def test_a_shared_meter_uses_the_months_budget_figures_to_apportion(energy_world, runtime):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    await budgets.ensure_month(this_month())
    await Budget.filter(unit_id=energy_world.czj_id).update(area_hundredths=4000)  # as billed
    await set_month_use(energy_world.shared_power, 800)

    use = await budgets.unit_use(this_month())

    assert use == {
        (energy_world.fgw_id, MeterKind.ELECTRICITY): 400,
        (energy_world.czj_id, MeterKind.ELECTRICITY): 400,
    }


async def test_budget_status_shows_use_from_the_rollups_in_tree_order_within_scope(energy_world):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "1")
    await quotas.set_quota(CLI_ACTOR, MeterKind.WATER, this_month(), "2.5", "")
    await budgets.ensure_month(this_month())
    await set_month_use(energy_world.fgw_power, 150 * KWH)
    await set_month_use(energy_world.fgw_water, 1_250)

    rows = await budgets.budget_status(this_month(), None)

    assert [(r["unit_name"], r["kind"], r["amount"], r["used"], r["percent"]) for r in rows] == [
        ("市财政局", "electricity", "60", "0", 0),
        ("市财政局", "water", "0", "0", 0),
        ("市发展和改革委员会", "electricity", "240", "150", 62),
        ("市发展和改革委员会", "water", "5", "1.25", 25),
    ]
    assert rows[2]["state_label"] == "正常" and rows[2]["measure"] == "千瓦时"
    scoped = await budgets.budget_status(this_month(), [energy_world.czj_id], MeterKind.ELECTRICITY)
    assert [(r["unit_id"], r["kind"]) for r in scoped] == [(energy_world.czj_id, "electricity")]
    assert await budgets.unit_budget(energy_world.fgw_id, this_month()) == rows[2:]


async def test_budget_detail_lists_changes_commands_and_alerts(energy_world, budget_admin):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    await set_month_use(energy_world.fgw_power, 190 * KWH)
    await budgets.evaluate(now(), EnergySettings())
    budget = await fgw_power_budget(energy_world)
    await budgets.adjust(budget_admin, budget.id, "20.5", "会议中心活动")

    detail = await budgets.budget_detail(budget.id)

    assert (detail["amount"], detail["used"], detail["state"]) == ("220.5", "190", BudgetState.WARNED)
    assert [(c["delta"], c["reason"], c["admin"]) for c in detail["changes"]] == [
        ("20.5 千瓦时", "会议中心活动", "energy_office")
    ]
    assert [a["kind"] for a in detail["alerts"]] == ["budget_80"]
    assert detail["commands"] == []
    with pytest.raises(AppError) as missing:
        await budgets.budget_detail(999_999)
    assert missing.value.code == "energy.budget_not_found"


async def test_a_shared_meter_with_one_unit_left_goes_wholly_to_it(energy_world):
    await MeterShare.filter(unit_id=energy_world.czj_id).delete()
    await set_month_use(energy_world.shared_power, 900)
    assert await budgets.unit_use(this_month()) == {(energy_world.fgw_id, MeterKind.ELECTRICITY): 900}
