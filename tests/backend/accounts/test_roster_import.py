"""Roster import: every bad row reported by line, nothing changed unless the whole file is valid,
phone and ID-card numbers encrypted at rest and masked in every answer."""

import io

from openpyxl import Workbook
from tortoise import connections

from backend.accounts.models import Person
from tests.helpers import admin_token, bearer, seed_units_and_roster, superadmin_token
from tests.helpers.errors import assert_error

HEADER = "工号,姓名,单位编码,人员类别,手机号,身份证号\n"
VALID_ID = "11010519491231002X"


async def upload(client, token, content: bytes, filename="roster.csv", dry_run=False):
    return await client.post(
        "/admin/v1/people/import",
        params={"dry_run": "1"} if dry_run else None,
        files={"file": (filename, content)},
        headers=bearer(token),
    )


async def test_valid_csv_creates_people_with_masked_phone(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    csv = HEADER + f"E100,赵敏,FGW-BGS,在编,13912345678,{VALID_ID}\n"
    report = (await upload(client, token, csv.encode())).json()
    assert report == {"total": 1, "created": 1, "updated": 0, "applied": True}
    person = (await client.get("/admin/v1/people", params={"q": "E100"}, headers=bearer(token))).json()["items"][0]
    assert person["phone"] == "139****5678"
    assert person["id_card"] == "110***********002X"
    assert person["staff_category_label"] == "在编"


async def test_phone_and_id_card_are_encrypted_at_rest(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    await upload(client, token, (HEADER + f"E100,赵敏,FGW-BGS,在编,13912345678,{VALID_ID}\n").encode())
    rows = await connections.get("default").execute_query_dict(
        "SELECT * FROM accounts_person WHERE employee_no = 'E100'"
    )
    values = [str(v) for v in rows[0].values()]
    raw = " ".join(values)
    assert "13912345678" not in raw and VALID_ID not in raw
    # The digests are hex and may hold "5678" by chance; what must not be stored is a readable
    # tail or a masked copy of either number.
    assert "****" not in raw and not {"5678", "002X", "139", "110"} & set(values)


async def test_every_bad_row_is_reported_and_nothing_changes(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    before = await Person.all().count()
    csv = (
        HEADER
        + "E101,钱一,FGW-BGS,在编,13900000001,\n"  # fine, but must not be written
        + ",孙二,FGW-BGS,在编,13900000002,\n"  # line 3: no employee number
        + "E103,李三,NOPE,在编,13900000003,\n"  # line 4: unknown unit
        + "E104,周四,CZJ-BGS,临时,1390000,\n"  # line 5: bad category and phone
        + "E101,吴五,CZJ-BGS,聘用,13900000005,110105194912310021\n"  # line 6: duplicate no, bad ID checksum
        + "E107,郑六,CZJ-BGS,外包,13800000001,\n"  # line 7: phone of D0001
    )
    error = assert_error(await upload(client, token, csv.encode()), 422, "accounts.roster_invalid")
    problems = [(p["line"], p["column"]) for p in error["details"]["problems"]]
    assert problems == [
        (3, "工号"),
        (4, "单位编码"),
        (5, "人员类别"),
        (5, "手机号"),
        (6, "工号"),
        (6, "身份证号"),
        (7, "手机号"),
    ]
    messages = {(p["line"], p["column"]): p["message"] for p in error["details"]["problems"]}
    assert messages[(6, "工号")] == "与第 2 行重复"
    assert messages[(7, "手机号")] == "已登记在工号 D0001 名下"
    assert await Person.all().count() == before
    assert not await Person.filter(employee_no="E101").exists()


async def test_dry_run_reports_without_writing(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    csv = HEADER + "E100,赵敏,FGW-BGS,在编,13912345678,\nD0001,张伟,FGW-GHC,在编,13800000001,\n"
    report = (await upload(client, token, csv.encode(), dry_run=True)).json()
    assert report == {"total": 2, "created": 1, "updated": 1, "applied": False}
    assert not await Person.filter(employee_no="E100").exists()


async def test_reimport_updates_people_by_employee_number(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    csv = HEADER + "D0001,张伟,FGW-GHC,聘用,13700000001,\n"
    report = (await upload(client, token, csv.encode())).json()
    assert report["updated"] == 1 and report["created"] == 0
    person = await Person.get(employee_no="D0001").select_related("unit")
    assert person.unit.code == "FGW-GHC" and person.staff_category.label == "聘用"


async def test_xlsx_with_numeric_cells_is_read(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    book = Workbook()
    sheet = book.active
    sheet.append(["工号", "姓名", "单位编码", "人员类别", "手机号"])
    sheet.append([20240001, "冯七", "CZJ-BGS", "外包", 13611112222])
    buffer = io.BytesIO()
    book.save(buffer)
    report = (await upload(client, token, buffer.getvalue(), filename="名册.xlsx")).json()
    assert report["created"] == 1
    assert await Person.filter(employee_no="20240001").exists()


async def test_gbk_csv_from_excel_is_read(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    csv = HEADER + "E200,陈八,CZJ-BGS,聘用,13611113333,\n" + "E201,访客甲,CZJ-BGS,访客,13611114444,\n"
    assert (await upload(client, token, csv.encode("gbk"))).json()["created"] == 2
    assert (await Person.get(employee_no="E201")).staff_category.label == "访客"


async def test_file_that_is_not_a_roster_is_refused_clearly(client, runtime):
    token = await superadmin_token(client)
    error = assert_error(
        await upload(client, token, b"PK\x03\x04garbage", "x.xlsx"), 422, "accounts.roster_file_unreadable"
    )
    assert "Excel" in error["message"]
    error = assert_error(
        await upload(client, token, "姓名,电话\n张三,1\n".encode()), 422, "accounts.roster_file_unreadable"
    )
    assert "工号" in error["message"]


async def test_unit_admin_cannot_import_people_into_other_units(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "fgw_admin", ["accounts.import_person"], unit_code="FGW")
    csv = HEADER + "E300,褚九,CZJ-BGS,在编,13611114444,\n"
    error = assert_error(await upload(client, token, csv.encode()), 422, "accounts.roster_invalid")
    assert error["details"]["problems"][0]["message"] == "单位 办公室 不在您的管理范围内"


async def test_import_without_permission_is_refused(client, runtime):
    token = await admin_token(client, "viewer", ["accounts.view_person"])
    assert_error(await upload(client, token, HEADER.encode()), 403, "auth.permission_denied")


async def test_unit_admin_cannot_move_or_rewrite_a_person_of_another_unit(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "fgw_admin", ["accounts.import_person"], unit_code="FGW")
    csv = HEADER + "D0003,李娜,FGW-BGS,聘用,13611115555,\n"  # D0003 belongs to CZJ
    error = assert_error(await upload(client, token, csv.encode()), 422, "accounts.roster_invalid")
    assert error["details"]["problems"][0]["message"] == "该工号属于您管理范围以外的单位，不能修改"
    person = await Person.get(employee_no="D0003").select_related("unit")
    assert person.unit.code == "CZJ-BGS"


async def test_conflicts_outside_scope_do_not_reveal_whose_number_it_is(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await admin_token(client, "fgw_admin", ["accounts.import_person"], unit_code="FGW")
    csv = HEADER + "E400,卫十,FGW-BGS,在编,13800000003,\n"  # D0003's phone, in CZJ
    error = assert_error(await upload(client, token, csv.encode()), 422, "accounts.roster_invalid")
    assert error["details"]["problems"][0]["message"] == "已被其他人员登记"


async def test_reimport_without_id_card_column_keeps_id_card_numbers(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    await upload(client, token, (HEADER + f"E100,赵敏,FGW-BGS,在编,13912345678,{VALID_ID}\n").encode())
    without = "工号,姓名,单位编码,人员类别,手机号\nE100,赵敏,FGW-GHC,在编,13912345678\n"
    assert (await upload(client, token, without.encode())).json()["updated"] == 1
    person = (await client.get("/admin/v1/people", params={"q": "E100"}, headers=bearer(token))).json()["items"][0]
    assert person["id_card"] == "110***********002X" and person["unit"]["code"] == "FGW-GHC"


async def test_import_is_audited_person_by_person(client, runtime):
    from backend.core.models import AuditEntry

    await seed_units_and_roster(runtime.cipher)
    token = await superadmin_token(client)
    await upload(client, token, (HEADER + "D0001,张伟,FGW-GHC,在编,13800000001,\n").encode())
    entry = await AuditEntry.filter(action="accounts.import_person").order_by("-id").first()
    assert entry.before["unit"]["code"] == "FGW-BGS" and entry.after["unit"]["code"] == "FGW-GHC"
    assert entry.after["phone"] == "138****0001"


async def test_damaged_files_are_refused_not_crashed_on(client, runtime):
    token = await superadmin_token(client)
    book = io.BytesIO()
    wb = Workbook()
    wb.active.append(["工号", "姓名"])
    wb.save(book)
    truncated = book.getvalue()[:-200]
    assert_error(await upload(client, token, truncated, "x.xlsx"), 422, "accounts.roster_file_unreadable")
    huge_cell = (HEADER + 'E1,"' + "长" * 200_000 + '",CZJ,在编,13900000001,\n').encode()
    assert_error(await upload(client, token, huge_cell), 422, "accounts.roster_file_unreadable")
