"""Energy contacts: people of the unit (or below it), once each, audited; only those still on
the roster are told; the WeChat notice of an alert reads the alert and its budget."""

from __future__ import annotations

import pytest

from backend.accounts.models import Person
from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.energy.models import AlertKind, Budget, MeterKind
from backend.energy.service import alerts, budgets, contacts, notices, quotas
from backend.notices.models import Notice
from tests.fixtures.energy import this_month


async def person(employee_no: str) -> int:
    return (await people.people_by_employee_no([employee_no]))[employee_no]


async def test_a_contact_is_a_person_of_the_unit_or_below_added_once(energy_world):
    wang = await person("D0002")  # FGW-GHC, below FGW

    added = await contacts.add_contact(CLI_ACTOR, energy_world.fgw_id, wang)

    assert (added["unit_name"], added["person_name"]) == ("市发展和改革委员会", "王芳")
    assert await contacts.contact_units(wang) == [energy_world.fgw_id]
    assert [c["person_id"] for c in await contacts.contacts(energy_world.fgw_id)] == [wang]
    for unit_id, person_id, problem in (
        (energy_world.fgw_id, wang, "已是"),
        (energy_world.czj_id, wang, "不在"),
        (energy_world.fgw_id, 999_999, "不存在"),
        (999_999, wang, "单位不存在"),
    ):
        with pytest.raises(AppError) as refused:
            await contacts.add_contact(CLI_ACTOR, unit_id, person_id)
        assert refused.value.code == "energy.contact_invalid" and problem in refused.value.message
    assert await AuditEntry.filter(action="energy.add_contact").count() == 1


async def test_removing_a_contact_is_audited(energy_world):
    added = await contacts.add_contact(CLI_ACTOR, energy_world.fgw_id, await person("D0001"))

    removed = await contacts.remove_contact(CLI_ACTOR, added["id"])

    assert removed["person_name"] == "张伟" and await contacts.contacts() == []
    assert await AuditEntry.filter(action="energy.remove_contact", object_id=str(added["id"])).count() == 1
    with pytest.raises(AppError) as missing:
        await contacts.remove_contact(CLI_ACTOR, added["id"])
    assert missing.value.code == "energy.contact_not_found"


async def test_budget_alerts_are_told_to_the_units_contacts_still_on_the_roster_and_others_are_not(energy_world):
    zhang, wang, chen = await person("D0001"), await person("D0002"), await person("D0005")
    for person_id in (zhang, wang):
        await contacts.add_contact(CLI_ACTOR, energy_world.fgw_id, person_id)
    sjgsw = (await people.unit_by_code("SJGSW")).id
    await contacts.add_contact(CLI_ACTOR, sjgsw, chen)
    await Person.filter(id=wang).update(is_active=False)  # 王芳 has left

    await alerts.raise_alert(AlertKind.BUDGET_80, "发改委电已用 80%", "budget80:x", unit_id=energy_world.fgw_id)
    await alerts.raise_alert(AlertKind.METER_SILENT, "发改委电表无应答", "silent:x", meter_id=energy_world.fgw_power.id)

    told = await Notice.filter(template=notices.ALERT_NOTICE).values_list("person_id", flat=True)
    assert told == [zhang]


async def test_the_alert_notice_reads_the_unit_the_state_and_the_budgets_use(energy_world):
    await quotas.set_quota(CLI_ACTOR, MeterKind.ELECTRICITY, this_month(), "100", "")
    await budgets.ensure_month(this_month())
    budget = await Budget.get(unit_id=energy_world.fgw_id, kind=MeterKind.ELECTRICITY)
    await Budget.filter(id=budget.id).update(used_milli=170_000)
    await alerts.raise_alert(
        AlertKind.BUDGET_80, "已用 85%", "budget80:1", unit_id=energy_world.fgw_id, budget_id=budget.id
    )
    alert = (await alerts.alerts(None, False))[0]

    message = await notices.render_alert(alert["id"])

    assert message.data["thing2"] == "市发展和改革委员会"
    assert message.data["phrase3"] == "用量预警"
    assert message.data["thing5"] == "本月电预算已用 85%"
    assert message.data["character_string1"] == str(alert["id"])
    assert message.page == f"pages/energy/index?unit={energy_world.fgw_id}"
    assert await notices.render_alert(999_999) is None
