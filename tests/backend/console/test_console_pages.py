"""Console pages over HTTP: tables (sort, filters in the URL, pagination, export), the roster
import, admins, devices and the audit log."""

import io
import re

from openpyxl import load_workbook

from backend.accounts.models import Device, Person
from backend.accounts.service import admins
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.demo import create_superadmin
from tests.helpers import PASSWORD, console_admin, console_login, seed_units_and_roster

EMPLOYEE_NO = re.compile(r'href="/console/people/\d+">(D\d+)</a>')


async def _root(client, runtime, roster: bool = True) -> str:
    if roster:
        await seed_units_and_roster(runtime.cipher)
    await create_superadmin("root", "超级管理员", PASSWORD)
    return await console_login(client, "root")


async def test_roster_table_sorts_filters_and_pages_through_the_url(client, runtime):
    await _root(client, runtime)
    first = await client.get("/console/people")
    assert EMPLOYEE_NO.findall(first.text) == ["D0001", "D0002", "D0003", "D0004", "D0005"]
    descending = await client.get("/console/people?sort=-employee_no&page_size=20")
    assert EMPLOYEE_NO.findall(descending.text)[0] == "D0005"
    assert '<a href="?">工号' in descending.text  # clicking again goes back to the default order
    by_name = await client.get("/console/people?q=王芳")
    assert EMPLOYEE_NO.findall(by_name.text) == ["D0002"]
    assert 'value="王芳"' in by_name.text  # the filter stays in the form
    nobody = await client.get("/console/people?q=不存在的人")
    assert "没有符合筛选条件的记录" in nobody.text


async def test_roster_table_pages_and_survives_a_malformed_url(client, runtime):
    await _root(client, runtime)
    for i in range(30):
        await Person.create(
            employee_no=f"E{i:04d}",
            name=f"人员{i}",
            unit_id=(await Person.first()).unit_id,
            staff_category="established",
        )
    page2 = await client.get("/console/people?page=2&sort=employee_no")
    assert "共 35 条，第 2 / 2 页" in page2.text
    assert "上一页" in page2.text and "下一页" not in page2.text
    broken = await client.get("/console/people?page=abc&sort=password&page_size=100000&unit=nope")
    assert broken.status_code == 200 and "第 1 / 2 页" in broken.text


async def test_export_holds_exactly_the_filtered_rows(client, runtime):
    await _root(client, runtime)
    response = await client.get("/console/people/export.xlsx?unit=FGW-BGS&sort=-employee_no")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("工号", "姓名", "单位")
    unit_people = await Person.filter(
        unit__path__startswith=(await Person.get(employee_no="D0001").select_related("unit")).unit.path
    )
    assert [r[0] for r in rows[1:]] == sorted((p.employee_no for p in unit_people), reverse=True)
    assert all(r[4] is None or "****" in r[4] for r in rows[1:])  # phones stay masked in exports


async def test_a_unit_scoped_admin_sees_only_their_units_people(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await console_admin(client, "unitadmin", ["accounts.view_person"], unit_code="FGW-GHC")
    page = await client.get("/console/people")
    assert EMPLOYEE_NO.findall(page.text) == ["D0002"]
    other = await Person.get(employee_no="D0001")
    assert (await client.get(f"/console/people/{other.id}")).status_code == 403


async def test_roster_import_reports_bad_rows_by_line_and_changes_nothing(client, runtime):
    await _root(client, runtime)
    csv = "工号,姓名,单位编码,人员类别,手机号\nN001,赵一,FGW-BGS,在编,13900000001\nN002,钱二,NOPE,在编,139\n"
    response = await client.post(
        "/console/people/import", files={"file": ("roster.csv", csv.encode())}, data={"csrf_token": await _csrf(client)}
    )
    assert response.status_code == 422
    assert "单位编码 NOPE 不存在" in response.text and '<td class="num">3</td>' in response.text
    assert not await Person.filter(employee_no="N001").exists()


async def test_roster_import_previews_then_applies_once_on_confirm(client, runtime):
    csrf = await _root(client, runtime)
    csv = (
        "工号,姓名,单位编码,人员类别,手机号\nN001,赵一,FGW-BGS,在编,13900000001\nD0001,张伟,FGW-BGS,在编,13800000001\n"
    )
    preview = await client.post(
        "/console/people/import", files={"file": ("roster.csv", csv.encode())}, data={"csrf_token": csrf}
    )
    assert preview.status_code == 200 and "新增 <b>1</b> 人，更新 <b>1</b> 人" in preview.text
    assert not await Person.filter(employee_no="N001").exists()
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    done = await client.post("/console/people/import/confirm", data={"csrf_token": csrf, "token": token})
    assert done.status_code == 200 and "已导入" in done.text
    assert await Person.filter(employee_no="N001").exists()
    again = await client.post("/console/people/import/confirm", data={"csrf_token": csrf, "token": token})
    assert again.status_code == 410 and "已过期" in again.text


async def test_the_roster_template_filled_in_imports_as_it_is(client, runtime):
    """The downloadable template carries the header row the importer reads; filled in and
    uploaded unchanged otherwise, it previews cleanly."""
    csrf = await _root(client, runtime)
    page = await client.get("/console/people/import")
    assert 'href="/console/people/import/template.xlsx"' in page.text
    template = await client.get("/console/people/import/template.xlsx")
    assert template.status_code == 200 and "spreadsheetml" in template.headers["content-type"]
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.active
    assert [c.value for c in sheet[1]] == ["工号", "姓名", "单位编码", "人员类别", "手机号", "身份证号"]
    assert sheet.max_row == 1
    sheet.append(["N001", "赵一", "FGW-BGS", "在编", "13900000001", None])
    filled = io.BytesIO()
    book.save(filled)
    preview = await client.post(
        "/console/people/import", files={"file": ("名册.xlsx", filled.getvalue())}, data={"csrf_token": csrf}
    )
    assert preview.status_code == 200 and "新增 <b>1</b> 人" in preview.text


async def test_the_roster_template_needs_the_import_permission(client, runtime):
    await seed_units_and_roster(runtime.cipher)
    await console_admin(client, "viewer", ["accounts.view_person"])
    assert (await client.get("/console/people/import/template.xlsx")).status_code == 403


async def test_another_admin_cannot_confirm_someone_elses_import(client, runtime, app):
    import httpx

    csrf = await _root(client, runtime)
    csv = "工号,姓名,单位编码,人员类别,手机号\nN001,赵一,FGW-BGS,在编,13900000001\n"
    preview = await client.post(
        "/console/people/import", files={"file": ("r.csv", csv.encode())}, data={"csrf_token": csrf}
    )
    token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)
    async with httpx.AsyncClient(base_url=app.ctx.base_url) as other:
        other_csrf = await console_admin(other, "importer", ["accounts.import_person"])
        response = await other.post("/console/people/import/confirm", data={"csrf_token": other_csrf, "token": token})
    assert response.status_code == 410
    assert not await Person.filter(employee_no="N001").exists()


async def test_admin_form_errors_appear_next_to_their_fields(client, runtime):
    csrf = await _root(client, runtime, roster=False)
    response = await client.post(
        "/console/admins", data={"csrf_token": csrf, "username": "x", "display_name": "某人", "password": "short"}
    )
    assert response.status_code == 422
    assert re.search(r'name="username" value="x".*?field-error" role="alert">内容太短', response.text, re.S)
    assert 'value="short"' not in response.text  # a password is never echoed back
    taken = await client.post(
        "/console/admins",
        data={"csrf_token": csrf, "username": "root", "display_name": "某人", "password": "An0ther-Passw0rd!"},
    )
    assert taken.status_code == 422
    assert re.search(r'name="username" value="root".*?field-error" role="alert">用户名已存在', taken.text, re.S)


async def test_create_admin_grant_a_scoped_role_and_reset_password(client, runtime):
    csrf = await _root(client, runtime)
    await admins.create_role(CLI_ACTOR, None, "people_viewer", "名册查看", ["accounts.view_person"])
    created = await client.post(
        "/console/admins",
        data={"csrf_token": csrf, "username": "clerk", "display_name": "办事员", "password": "An0ther-Passw0rd!"},
    )
    assert created.status_code == 302
    detail_url = created.headers["location"].split("?")[0]
    granted = await client.post(
        f"{detail_url}/grants", data={"csrf_token": csrf, "role_code": "people_viewer", "unit_code": "FGW-GHC"}
    )
    assert granted.status_code == 302
    detail = await client.get(detail_url)
    assert "名册查看" in detail.text and "发展规划处" in detail.text
    weak = await client.post(f"{detail_url}/password", data={"csrf_token": csrf, "password": "abc"})
    assert weak.status_code == 422 and "field-error" in weak.text
    reset = await client.post(f"{detail_url}/password", data={"csrf_token": csrf, "password": "Thr3e-Passw0rd!"})
    assert reset.status_code == 302 and "password_reset" in reset.headers["location"]


async def test_create_role_from_checked_permissions(client, runtime):
    csrf = await _root(client, runtime, roster=False)
    response = await client.post(
        "/console/roles",
        data={
            "csrf_token": csrf,
            "code": "auditors",
            "name": "审计员",
            "permissions": ["core.view_audit", "accounts.view_device"],
        },
    )
    assert response.status_code == 302
    page = await client.get("/console/admins")
    assert "审计员" in page.text and "查看审计日志" in page.text
    none_checked = await client.post("/console/roles", data={"csrf_token": csrf, "code": "empty", "name": "空角色"})
    assert none_checked.status_code == 422 and "至少 1 项" in none_checked.text


async def test_registering_a_device_shows_its_secret_once_with_a_qr_code(client, runtime):
    csrf = await _root(client, runtime, roster=False)
    response = await client.post(
        "/console/devices",
        data={"csrf_token": csrf, "code": "K-01", "name": "一楼自助机", "kind": "kiosk", "location": "一楼大厅"},
    )
    assert response.status_code == 201
    secret = re.search(r'data-testid="secret-value">([^<]+)<', response.text).group(1)
    assert len(secret) >= 32 and 'src="data:image/png;base64,' in response.text
    device = await Device.get(code="K-01")
    from backend.accounts.service.devices import SECRET_CONTEXT

    assert runtime.cipher.decrypt(device.secret_encrypted, context=SECRET_CONTEXT) == secret
    listing = await client.get("/console/devices")
    assert "一楼自助机" in listing.text and secret not in listing.text
    duplicate = await client.post(
        "/console/devices", data={"csrf_token": csrf, "code": "K-01", "name": "重复", "kind": "kiosk"}
    )
    assert duplicate.status_code == 422 and "field-error" in duplicate.text


async def test_devices_filter_by_state_and_disable(client, runtime):
    csrf = await _root(client, runtime, roster=False)
    await client.post("/console/devices", data={"csrf_token": csrf, "code": "K-01", "name": "自助机", "kind": "kiosk"})
    device = await Device.get(code="K-01")
    assert "自助机" in (await client.get("/console/devices?status=never_seen")).text
    assert "自助机" not in (await client.get("/console/devices?status=online")).text
    response = await client.post(f"/console/devices/{device.id}/enabled", data={"csrf_token": csrf, "is_enabled": "0"})
    assert response.status_code == 302
    assert not (await Device.get(id=device.id)).is_enabled
    assert "自助机" in (await client.get("/console/devices?status=disabled")).text


async def test_audit_log_filters_by_action_and_shows_what_changed(client, runtime):
    csrf = await _root(client, runtime, roster=False)
    await client.post("/console/devices", data={"csrf_token": csrf, "code": "K-01", "name": "自助机", "kind": "kiosk"})
    device = await Device.get(code="K-01")
    await client.post(f"/console/devices/{device.id}/enabled", data={"csrf_token": csrf, "is_enabled": "0"})
    page = await client.get("/console/audit?action=accounts.set_device_enabled")
    assert "启用/停用设备" in page.text and "<s>是</s> → 否" in page.text
    assert "注册设备" not in page.text.split("<tbody>")[1]
    export = await client.get("/console/audit/export.xlsx?action=accounts.set_device_enabled")
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "root" and rows[1][2] == "启用/停用设备"
    assert await AuditEntry.filter(action="accounts.set_device_enabled").count() == 1


async def _csrf(client) -> str:
    from tests.helpers import console_csrf

    return await console_csrf(client)


async def test_dashboard_counts_terminals_by_state_and_raises_offline_ones(client, runtime):
    from datetime import timedelta

    from backend.accounts.models import DeviceKind
    from backend.accounts.service.devices import register_device
    from backend.core.timeutil import now

    await _root(client, runtime, roster=False)
    for code in ("T-ON", "T-OFF", "T-NEW", "T-DIS"):
        await register_device(CLI_ACTOR, runtime.cipher, code, f"{code} 终端", DeviceKind.CANTEEN_TERMINAL, "一食堂")
    seen = now() - timedelta(minutes=30)
    await Device.filter(code="T-ON").update(last_seen_at=now())
    await Device.filter(code="T-OFF").update(last_seen_at=seen, offline_since=seen)
    await Device.filter(code="T-DIS").update(is_enabled=False, last_seen_at=seen, offline_since=seen)
    page = (await client.get("/console/")).text
    assert re.search(r"终端在线</span><span class=\"stat-value stat-ok\">1<", page)
    assert re.search(r"终端离线</span><span class=\"stat-value stat-bad\">1<", page)
    assert "1 台从未上线" in page
    assert "终端「T-OFF 终端」离线" in page and "T-DIS 终端" not in page
