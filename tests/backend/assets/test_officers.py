"""Appointing the units' asset officers: by employee number and unit code, audited; stopping one
ends their acting for the unit; appointing again brings the same record back."""

import pytest

from backend.assets.models import AssetOfficer
from backend.assets.service import officers
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry


async def test_an_appointed_officer_acts_for_the_unit_and_its_subtree(assets_world):
    w = assets_world

    made = await officers.assign(CLI_ACTOR, "D0005", "CZJ")

    assert made["person_name"] == "陈静" and made["unit_code"] == "CZJ" and made["is_active"]
    assert await officers.acts_for(w.people["D0005"], w.units["CZJ-BGS"])
    assert await AuditEntry.filter(action="assets.assign_officer", object_id=str(made["id"])).exists()


async def test_a_stopped_officer_no_longer_acts_and_appointing_again_reuses_the_record(assets_world):
    w = assets_world
    officer = await AssetOfficer.get(person_id=w.people["D0003"])

    stopped = await officers.deactivate(CLI_ACTOR, officer.id)
    assert not stopped["is_active"] and not await officers.acts_for(w.people["D0003"], w.units["CZJ-BGS"])

    again = await officers.assign(CLI_ACTOR, "D0003", "CZJ-BGS")
    assert again["id"] == officer.id and again["is_active"]
    assert await AssetOfficer.filter(person_id=w.people["D0003"]).count() == 1
    actions = await AuditEntry.filter(object_type="asset_officer").order_by("id").values_list("action", flat=True)
    assert actions == ["assets.deactivate_officer", "assets.assign_officer"]


async def test_appointing_one_already_in_office_writes_nothing(assets_world):
    await officers.assign(CLI_ACTOR, "D0002", "FGW")

    assert not await AuditEntry.filter(object_type="asset_officer").exists()


@pytest.mark.parametrize(
    ("employee_no", "unit_code", "code"),
    [
        ("X0000", "FGW", "assets.officer_person_invalid"),
        ("D0001", "NOPE", "assets.unit_invalid"),
    ],
)
async def test_an_unknown_person_or_unit_is_refused(assets_world, employee_no, unit_code, code):
    with pytest.raises(AppError) as refused:
        await officers.assign(CLI_ACTOR, employee_no, unit_code)

    assert refused.value.code == code


async def test_stopping_an_unknown_officer_is_refused(assets_world):
    with pytest.raises(AppError) as refused:
        await officers.deactivate(CLI_ACTOR, 999999)

    assert refused.value.code == "assets.officer_not_found"


async def test_the_list_puts_active_officers_first_by_unit_code(assets_world):
    await officers.deactivate(CLI_ACTOR, (await AssetOfficer.get(person_id=assets_world.people["D0002"])).id)

    rows = await officers.list_officers()

    assert [(r["unit_code"], r["is_active"]) for r in rows] == [("CZJ-BGS", True), ("FGW", False)]
