"""Energy in the mini-program: a unit's energy contact sees each of their units' budgets of the
month with use and state, and the unit's alerts; another unit is refused; a cadre who is nobody's
contact sees an empty list; a wrong month is refused by name; nobody signed out gets in."""

from __future__ import annotations

from backend.accounts.service import people
from backend.core.timeutil import now, today
from backend.energy.models import Alert, AlertKind, Budget, BudgetState, EnergyContact, MeterKind
from tests.fixtures.energy import put_month
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error


async def _fgw_budget(w) -> Budget:
    """FGW's electricity budget of this month 92 % used: as the evaluation stored it and, as the
    mini-program reads it now, in the meter's month rollup."""
    await put_month(w.fgw_power.id, today().replace(day=1), 920_000)
    budget = await Budget.create(
        unit_id=w.fgw_id,
        month=today().replace(day=1),
        kind=MeterKind.ELECTRICITY,
        headcount=2,
        per_person_milli=500_000,
        computed_milli=1_000_000,
        used_milli=920_000,
        state=BudgetState.WARNED,
        alerted_80_at=now(),
    )
    await Alert.create(
        kind=AlertKind.BUDGET_80, unit_id=w.fgw_id, budget=budget, message="电预算已用 92%", dedupe_key="budget80:x"
    )
    return budget


async def test_an_energy_contact_sees_their_units_budget_use_and_alerts(client, wechat, energy_world):
    w = energy_world
    budget = await _fgw_budget(w)
    zhang = (await people.people_by_employee_no(["D0001"]))["D0001"]
    await EnergyContact.create(unit_id=w.fgw_id, person_id=zhang)
    token = await bound_token(client, wechat)

    answer = await client.get("/mp/v1/energy", headers=bearer(token))
    assert answer.status_code == 200, answer.text
    [unit] = answer.json()["items"]
    assert unit["unit_name"] == "市发展和改革委员会" and unit["month"] == today().replace(day=1).isoformat()
    [shown] = unit["budgets"]
    assert shown == {
        "id": budget.id,
        "kind": "electricity",
        "kind_label": "电",
        "measure": "千瓦时",
        "amount_milli": 1_000_000,
        "used_milli": 920_000,
        "amount_text": "1,000.00",
        "used_text": "920.00",
        "percent": 92,
        "state": "warned",
        "state_label": "已用 80%",
    }
    assert [a["message"] for a in unit["alerts"]] == ["电预算已用 92%"] and not unit["alerts"][0]["acknowledged"]

    one = await client.get(f"/mp/v1/energy/units/{w.fgw_id}", headers=bearer(token))
    assert one.status_code == 200 and one.json()["budgets"][0]["percent"] == 92
    assert_error(await client.get(f"/mp/v1/energy/units/{w.czj_id}", headers=bearer(token)), 403, "energy.not_contact")
    assert_error(
        await client.get("/mp/v1/energy?month=2026-13", headers=bearer(token)), 422, "energy.report_range_invalid"
    )
    last_month = await client.get("/mp/v1/energy?month=2026-01", headers=bearer(token))
    assert last_month.status_code == 200 and last_month.json()["items"][0]["month"] == "2026-01-01"


async def test_a_cadre_who_is_nobodys_contact_sees_nothing_and_the_signed_out_get_nothing(client, wechat, energy_world):
    await _fgw_budget(energy_world)
    token = await bound_token(client, wechat)
    answer = await client.get("/mp/v1/energy", headers=bearer(token))
    assert answer.status_code == 200 and answer.json() == {"items": []}
    assert (await client.get("/mp/v1/energy")).status_code == 401
