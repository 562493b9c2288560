"""The console in a real browser: log in, dashboard with its chart, roster import with a bad
row, device registration with its one-time secret, a refused page, and an .xlsx export read
back. Each page is also saved as a 1366x768 screenshot."""

import io

from openpyxl import load_workbook

from backend.demo import create_superadmin
from tests.fixtures.canteen import cardholder, pay
from tests.helpers import PASSWORD, make_admin
from tests.helpers.browser import log_in


async def test_admin_logs_in_and_sees_todays_meals_on_the_dashboard(browser_page, client, terminal, screenshot):
    await cardholder("D0001", "AA000001", cash=10_000)
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await page.goto("/console/")
    await screenshot(page, "login")
    await page.fill("input[name=username]", "root")
    await page.fill("input[name=password]", "wrong-password")
    await page.click("button[type=submit]")
    assert "用户名或密码错误" in await page.inner_text(".alert-error")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/")
    assert await page.inner_text("[data-testid=meals-today]") == "1"
    await page.wait_for_selector("[data-testid=meals-chart] canvas")  # ECharts drew the chart
    await screenshot(page, "dashboard")


async def test_roster_import_shows_the_bad_row_then_imports_the_fixed_file(
    browser_page, app, runtime, screenshot, tmp_path
):
    from tests.helpers import seed_units_and_roster

    await seed_units_and_roster(runtime.cipher)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.click("nav >> text=名册导入")
    await page.wait_for_url("**/console/people/import")
    # The template link, fetched with the page's session (a click would start a download, which
    # Chromium reports as an aborted navigation).
    href = await page.get_attribute("[data-testid=roster-template]", "href")
    template = await page.context.request.get(href)
    assert template.ok and "spreadsheetml" in template.headers["content-type"]
    await screenshot(page, "import-upload")
    bad = tmp_path / "名册.csv"
    bad.write_text(
        "工号,姓名,单位编码,人员类别,手机号\nN001,赵一,FGW-BGS,在编,13900000001\nN002,钱二,FGW-BGS,在编,1390000\n",
        encoding="utf-8",
    )
    await page.set_input_files("input[name=file]", bad)
    await page.click("text=上传并预检")
    problems = page.locator("[data-testid=import-problems] tbody tr")
    assert await problems.count() == 1
    assert (await problems.first.inner_text()).split("\t")[:2] == ["3", "手机号"]
    await screenshot(page, "import-problems")
    good = tmp_path / "名册2.csv"
    good.write_text("工号,姓名,单位编码,人员类别,手机号\nN001,赵一,FGW-BGS,在编,13900000001\n", encoding="utf-8")
    await page.click("a:text-is('重新上传')")
    await page.set_input_files("input[name=file]", good)
    await page.click("text=上传并预检")
    await screenshot(page, "import-preview")
    await page.click("button:text-is('确认导入')")
    assert "新增 1 人" in await page.inner_text(".alert-ok")
    await page.click("text=查看名册")
    await page.fill("input[name=q]", "赵一")
    await page.click("text=查询")
    assert "q=" in page.url and await page.locator("table.data tbody tr").count() == 1
    await screenshot(page, "people")


async def test_registering_a_device_shows_the_secret_once(browser_page, screenshot):
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.click("nav >> text=设备")
    form = page.locator("#register-device")
    await form.locator("input[name=code]").fill("K-LOBBY-01")
    await form.locator("input[name=name]").fill("一楼大厅自助机")
    await form.locator("select[name=kind]").select_option("kiosk")
    await form.locator("input[name=location]").fill("行政中心一楼大厅")
    await form.locator("button[type=submit]").click()
    secret = await page.inner_text("[data-testid=secret-value]")
    assert len(secret) >= 32
    assert await page.locator("[data-testid=device-secret] img").evaluate("img => img.naturalWidth > 100")
    await screenshot(page, "device-secret")
    await page.goto("/console/devices")
    assert await page.locator("[data-testid=device-secret]").count() == 0
    assert secret not in await page.content()
    await screenshot(page, "devices")


async def test_an_admin_is_refused_a_page_outside_their_permissions(browser_page, screenshot):
    await make_admin("auditor", ["core.view_audit"])
    page = browser_page
    await log_in(page, "auditor")
    assert await page.locator("nav a", has_text="设备").count() == 0
    assert await page.locator("nav a", has_text="审计日志").count() == 1
    response = await page.goto("/console/admins")
    assert response.status == 403
    assert "无权访问" in await page.inner_text("h1")
    await screenshot(page, "refused")


async def test_the_audit_log_exports_to_xlsx_and_reads_back(browser_page, screenshot):
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.click("nav >> text=审计日志")
    await page.select_option("select[name=action]", "accounts.create_admin")
    await page.click("text=查询")
    await screenshot(page, "audit")
    async with page.expect_download() as waiting:
        await page.click("text=导出 Excel")
    download = await waiting.value
    assert download.suggested_filename.endswith(".xlsx") and "审计日志" in download.suggested_filename
    rows = list(load_workbook(io.BytesIO((await download.path()).read_bytes())).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("时间", "操作人", "操作")
    assert [r[2] for r in rows[1:]] == ["创建管理员"]


async def test_admins_units_and_person_pages_render(browser_page, runtime, screenshot):
    from backend.accounts.models import Person
    from tests.helpers import seed_units_and_roster

    await seed_units_and_roster(runtime.cipher)
    root = await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    for path, name, heading in (
        ("/console/admins", "admins", "管理员与角色"),
        ("/console/units", "units", "单位"),
        (f"/console/admins/{root['id']}", "admin-detail", "超级管理员"),
    ):
        await page.goto(path)
        assert heading in await page.inner_text("h1")
        await screenshot(page, f"{name}")
    person = await Person.get(employee_no="D0001")
    await page.goto(f"/console/people/{person.id}")
    assert "138****0001" in await page.inner_text("dl.props")
    await screenshot(page, "person")


async def test_canteen_manager_refunds_a_payment_in_the_browser(browser_page, client, terminal, screenshot):
    await cardholder("D0001", "AA000001", cash=10_000)
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    await make_admin("manager", ["canteen.view_payment", "canteen.refund_payment"])
    page = browser_page
    await log_in(page, "manager")
    await page.click("nav >> text=消费记录")
    await page.click("details.refund summary")
    await page.fill("details.refund input[name=reason]", "重复刷卡")
    await screenshot(page, "canteen-payments")
    page.once("dialog", lambda dialog: dialog.accept())
    await page.click("text=确认退款")
    await page.wait_for_url("**done=refunded")
    assert "已退款" in await page.inner_text(".alert-ok")
    assert "已退款" in await page.inner_text("table.data tbody")
    await page.click("nav >> text=日报与报餐")
    await screenshot(page, "canteen-report")


async def test_canteen_manager_sets_lunch_prices_and_binds_a_terminal(browser_page, terminal, runtime, screenshot):
    from backend.accounts.models import DeviceKind
    from backend.accounts.service import devices
    from backend.core.audit import CLI_ACTOR

    await devices.register_device(CLI_ACTOR, runtime.cipher, "T-2", "二号机", DeviceKind.CANTEEN_TERMINAL, "")
    await make_admin("manager", ["canteen.view_payment", "canteen.manage_canteen"])
    page = browser_page
    await log_in(page, "manager")
    await page.click("nav >> text=食堂设置")
    await page.click("table.data >> text=第一食堂")
    await page.click("text=编辑")
    await page.fill("input[name=starts_at]", "11:00")
    await page.fill("input[name=ends_at]", "13:30")
    await page.fill("input[name=price_staff]", "16.00")
    await page.fill("input[name=price_visitor]", "25")
    await page.click("text=保存餐次")
    await page.wait_for_url("**done=period_saved")
    assert "职工 16.00（餐补至多 10.00）" in await page.inner_text("table.data >> nth=0")
    await page.select_option("select[name=device_code]", "T-2")
    await page.fill("form[action$='/terminals'] input[name=name]", "二楼 3 号窗口")
    await page.click("form[action$='/terminals'] button")
    await page.wait_for_url("**done=terminal_bound")
    assert "二楼 3 号窗口" in await page.inner_text("table.data >> nth=1")
    await screenshot(page, "canteen-setup", full_page=True)


async def test_finance_adjusts_a_wallet_from_the_person_page(browser_page, client, terminal, screenshot):
    person_id = await cardholder("D0001", "AA000001", cash=10_000)
    assert (await pay(client, terminal, "TX-1", card_uid="AA000001")).status_code == 200
    await make_admin("finance", ["accounts.view_person", "wallet.view_wallet", "wallet.adjust_wallet"])
    page = browser_page
    await log_in(page, "finance")
    await page.goto(f"/console/people/{person_id}")
    await page.select_option("select[name=direction]", "debit")
    await page.fill("input[name=amount]", "500")
    await page.fill("input[name=reason]", "误充冲正")
    await page.click("text=提交调账")
    assert "调减后余额不能为负" in await page.inner_text(".field-error")
    await page.fill("input[name=amount]", "5")
    await page.click("text=提交调账")
    await page.wait_for_url("**done=adjusted")
    assert "误充冲正" in await page.inner_text("table.data >> nth=1")
    await screenshot(page, "person-wallet", full_page=True)


async def test_superadmin_grants_a_role_over_one_canteen_and_its_manager_sees_only_that_canteen(
    browser_page, two_canteens, screenshot
):
    from datetime import datetime, time, timedelta

    from backend.accounts.models import Person
    from backend.accounts.service import admins
    from backend.canteen.service import booking
    from backend.core.audit import CLI_ACTOR
    from backend.core.timeutil import BUSINESS_TZ, today

    await admins.create_role(
        CLI_ACTOR,
        None,
        "canteen_manager",
        "食堂管理员",
        ["canteen.view_payment", "canteen.refund_payment", "canteen.manage_canteen"],
    )
    manager = await admins.create_admin(CLI_ACTOR, "st2_manager", "二食堂经理", PASSWORD, must_change_password=False)
    day = today()
    day_before = datetime.combine(day - timedelta(days=1), time(9), tzinfo=BUSINESS_TZ)
    for employee_no in ("D0002", "D0005"):  # D0002 paid for lunch at ST2, D0005 did not come
        await booking.book((await Person.get(employee_no=employee_no)).id, "ST2", day, "lunch", day_before)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto(f"/console/admins/{manager['id']}")
    await page.select_option("select[name=role_code]", "canteen_manager")
    await page.select_option("select[name=canteen_code]", "ST2")
    await page.click("button:text-is('授予')")
    await page.wait_for_url("**done=granted")
    assert "第二食堂（仅该食堂）" in await page.inner_text("table.data")
    await screenshot(page, "grant-canteen-scoped-role")
    await page.click("button:text-is('退出登录')")
    await page.wait_for_url("**/console/login")
    await log_in(page, "st2_manager")
    await page.click("nav >> text=消费记录")
    rows = page.locator("table.data tbody tr")
    assert await rows.count() == 1 and "第二食堂" in await rows.first.inner_text()
    await page.click("nav >> text=日报与报餐")
    assert (await page.inner_text("[data-testid=attendance] tbody")).split() == [
        "第二食堂",
        "午餐",
        "00:00",
        "2",
        "1",
        "1",
        "50.0%",
    ]
    await screenshot(page, "canteen-report-no-shows")
