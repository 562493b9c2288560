"""A unit scope means the same on SQLite and PostgreSQL and agrees with the single-person check:
unit codes are case-sensitive, so an admin scoped to unit `FGW` reaches nothing of a sibling
unit coded `fgw` (SQL LIKE ignores case on SQLite, which once leaked it). CI runs this on both."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from tests.helpers import admin_token, bearer, console_admin, seed_units_and_roster

ROSTER = "工号,姓名,单位编码,人员类别,手机号\nL0001,小写单位甲,fgw-bgs,在编,13800000091\n"


async def _sibling_in_lower_case(runtime) -> None:
    await seed_units_and_roster(runtime.cipher)
    await people.create_unit(CLI_ACTOR, Scope.EVERYTHING, "fgw", "小写编码的单位", "SJGSW")
    await people.create_unit(CLI_ACTOR, Scope.EVERYTHING, "fgw-bgs", "其办公室", "fgw")
    await people.import_roster(CLI_ACTOR, runtime.cipher, Scope.EVERYTHING, "l.csv", ROSTER.encode(), dry_run=False)


async def test_a_scope_over_FGW_lists_no_unit_or_person_of_fgw_through_the_api(client, runtime):
    await _sibling_in_lower_case(runtime)
    token = bearer(await admin_token(client, "fgw", ["accounts.view_person", "accounts.view_unit"], unit_code="FGW"))
    listed = (await client.get("/admin/v1/people", headers=token)).json()["items"]
    assert {p["employee_no"] for p in listed} == {"D0001", "D0002"}
    units = (await client.get("/admin/v1/units", headers=token)).json()["items"]
    assert [u["code"] for u in units] == ["FGW", "FGW-BGS", "FGW-GHC"]
    other = await people.people_by_employee_no(["L0001"])
    refused = await client.get(f"/admin/v1/people/{other['L0001']}", headers=token)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "auth.out_of_scope"


async def test_a_scope_over_FGW_shows_no_unit_or_person_of_fgw_on_the_pages_and_export(client, runtime):
    await _sibling_in_lower_case(runtime)
    await console_admin(client, "fgw", ["accounts.view_person", "accounts.view_unit"], unit_code="FGW")
    page = await client.get("/console/people")
    assert "D0001" in page.text and "L0001" not in page.text and "小写单位甲" not in page.text
    units = await client.get("/console/units")
    assert "发展和改革委员会" in units.text and "小写编码的单位" not in units.text
    export = await client.get("/console/people/export.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    cells = {str(c.value) for row in sheet.iter_rows() for c in row}
    assert "D0001" in cells and "L0001" not in cells


async def test_a_unit_filter_on_FGW_does_not_include_fgw_either(client, runtime):
    await _sibling_in_lower_case(runtime)
    query = await people.people_query(Scope.EVERYTHING, unit_code="FGW")
    assert {p.employee_no for p in await query} == {"D0001", "D0002"}
