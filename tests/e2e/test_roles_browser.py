"""Roles in a real browser: a super admin makes a 卡务员 role from the preset, creates an admin
and grants it over one unit (and is warned of what a unit cannot carry); the new admin logs in,
must choose their own password first, then reaches the dashboard. Screenshots of each step."""

from backend.demo import create_superadmin
from backend.modules import presets
from tests.helpers import PASSWORD, seed_units_and_roster
from tests.helpers.browser import log_in

INITIAL = "Init1al-Passw0rd"
OWN = "My-0wn-Passw0rd"


async def test_a_card_clerk_from_the_preset_granted_over_a_unit_changes_the_password_first(
    browser_page, runtime, screenshot
):
    await seed_units_and_roster(runtime.cipher)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    # the role from the preset: its permissions are checked, grouped under their modules
    await page.goto("/console/admins")
    await page.click(".preset-links >> text=卡务员")
    await page.wait_for_url("**/console/admins?preset=*")
    role_form = page.locator("form[action='/console/roles']")
    checked = await role_form.locator("input[name=permissions]:checked").evaluate_all("els => els.map(e => e.value)")
    assert set(checked) == {p.value for p in presets()["卡务员"]}
    assert await role_form.locator("fieldset.perm-group legend").all_inner_texts() == [
        "单位与人员",
        "审批",
        "一卡通",
        "智慧食堂",
        "报修管理",
        "公务用车",
        "共富食味坊",
        "资产与办公用房",
        "充电桩",
        "门禁与访客",
        "能耗",
        "系统管理",
    ]
    await role_form.locator("input[name=code]").fill("card_clerk")
    await screenshot(page, "roles-preset", full_page=True)
    await role_form.locator("button[type=submit]").click()
    await page.wait_for_url("**/console/admins?done=role_created")

    # the admin, then the grant over one unit
    admin_form = page.locator("form[action='/console/admins']")
    await admin_form.locator("input[name=username]").fill("clerk01")
    await admin_form.locator("input[name=display_name]").fill("李卡务")
    await admin_form.locator("input[name=password]").fill(INITIAL)
    await admin_form.locator("button[type=submit]").click()
    await page.wait_for_url("**/console/admins/*?done=admin_created")
    assert "待本人修改" in await page.inner_text(".props")
    await page.select_option("select[name=role_code]", "card_clerk")
    await page.select_option("select[name=unit_code]", "FGW")
    # warned as the scope is chosen, before granting
    assert "“发卡、补卡、挂失与解挂、注销卡”" in await page.inner_text("[data-testid=grant-warning]")
    await screenshot(page, "roles-grant-preview")
    await page.click("form[action$='/grants'] button[type=submit]")
    await page.wait_for_url("**done=granted_partly")
    assert "部分权限在该管理范围内不生效" in await page.inner_text(".alert-warn")
    assert "发卡、补卡、挂失与解挂、注销卡" in await page.inner_text(".grant-warning")
    await screenshot(page, "roles-grant-warning")
    await page.click("text=退出登录")
    await page.wait_for_url("**/console/login")

    # the new admin: the password page first, whatever they ask for
    await log_in(page, "clerk01", INITIAL, lands_on="**/console/password?next=**")
    await page.goto("/console/people")
    await page.wait_for_url("**/console/password?next=/console/people")
    await page.goto("/console/")
    await page.wait_for_url("**/console/password?next=/console/")
    await screenshot(page, "roles-forced-password")
    await page.fill("input[name=current_password]", INITIAL)
    await page.fill("input[name=new_password]", OWN)
    await page.fill("input[name=confirm_password]", OWN)
    await page.click("button[type=submit] >> text=修改密码")
    await page.wait_for_url("**/console/?done=password_changed")
    assert "密码已修改" in await page.inner_text(".alert")
    assert await page.locator("nav >> text=人员名册").count() == 1
    assert await page.locator("nav >> text=管理员与角色").count() == 0
    await screenshot(page, "roles-after-change")
