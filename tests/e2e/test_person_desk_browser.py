"""The people desk in a real browser: a person added, edited and moved (调动), a cardholder with
money leaving (离职) through the refund the closing needs, and a unit renamed and disabled (停用).
Saved as screenshots."""

from backend.accounts.models import Person, Unit
from backend.demo import create_superadmin
from backend.wallet.models import CashRefund, Wallet
from tests.fixtures.canteen import cardholder
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def test_hr_adds_edits_and_moves_a_person(browser_page, canteen, screenshot):
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto("/console/people")
    await page.click("text=新增人员")
    form = page.locator("[data-testid=person-form]")
    await form.locator("input[name=employee_no]").fill("D0001")
    await form.locator("input[name=name]").fill("赵敏")
    await form.locator("select[name=unit_code]").select_option("FGW-GHC")
    await form.locator("select[name=staff_category]").select_option("contract")
    await form.locator("input[name=phone]").fill("1390000")
    await form.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    refusals = await form.inner_text()
    assert "不是有效的 11 位手机号" in refusals and "赵敏" in await form.locator("input[name=name]").input_value()
    await screenshot(page, "person-add-refused", full_page=True)
    await form.locator("input[name=phone]").fill("13900000101")
    await form.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    assert "工号 D0001 已登记在名册中" in await form.inner_text()
    await form.locator("input[name=employee_no]").fill("D0101")
    await form.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=person_created")
    assert "人员已添加到名册" in await page.inner_text(".alert-ok")
    await screenshot(page, "person-added", full_page=True)

    await page.click("text=编辑 / 调动")
    await page.locator("[data-testid=person-form] input[name=name]").fill("赵敏敏")
    await page.locator("[data-testid=person-form] button[type=submit]").click()
    await page.wait_for_url("**?done=person_updated")
    assert "赵敏敏" in await page.inner_text("h1")
    await page.click("text=编辑 / 调动")
    move = page.locator("[data-testid=move-form]")
    await move.locator("select[name=unit_code]").select_option("CZJ-BGS")
    await move.locator("input[name=reason]").fill("根据调令调至市财政局办公室")
    await screenshot(page, "person-edit-and-move", full_page=True)
    await move.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=person_moved")
    assert "CZJ-BGS" in await page.inner_text("main")
    assert (await Person.get(employee_no="D0101").prefetch_related("unit")).unit.code == "CZJ-BGS"


async def test_a_cardholder_with_money_leaves_through_the_refund(browser_page, canteen, screenshot):
    person_id = await cardholder("D0001", "AA000001", cash=8_800, subsidy=1_200)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto(f"/console/people/{person_id}")
    await page.click("a:has-text('办理离职')")
    form = page.locator("[data-testid=leave-form]")
    await form.locator("input[name=reason]").fill("调出本市，办理离职")
    await form.locator("select[name=wallet_refund_method]").select_option("bank_transfer")
    await form.locator("input[name=confirm]").check()
    await form.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    assert "银行转账退款须填写转账流水号" in await page.locator("[data-testid=leave-form]").inner_text()
    await screenshot(page, "person-leave-refused", full_page=True)
    form = page.locator("[data-testid=leave-form]")
    await form.locator("input[name=wallet_refund_reference]").fill("BOC20261206")
    await form.locator("input[name=confirm]").check()
    await screenshot(page, "person-leave-form", full_page=True)
    await form.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=person_left")
    assert "离职已办理" in await page.inner_text(".alert-ok")
    assert "已离职" in await page.inner_text("h1")
    await screenshot(page, "person-left", full_page=True)
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (0, 0) and wallet.closed_at is not None
    refund = await CashRefund.get()
    assert (refund.amount_fen, refund.payout_reference) == (8_800, "BOC20261206")

    await page.goto("/console/people")
    assert "D0001" not in await page.inner_text("table")
    await page.select_option("select[name=standing]", "left")
    await page.click("button:has-text('查询')")
    await page.wait_for_load_state()
    assert "D0001" in await page.inner_text("table")
    await screenshot(page, "roster-left-filter", full_page=True)


async def test_a_unit_is_renamed_then_disabled_after_its_people_move(browser_page, canteen, screenshot):
    await create_superadmin("root", "超级管理员", PASSWORD)
    unit = await Unit.get(code="FGW-GHC")
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    await log_in(page, "root")
    await page.goto("/console/units")
    await page.click(f"a[href='/console/units/{unit.id}']")
    rename = page.locator("[data-testid=rename-form]")
    await rename.locator("input[name=name]").fill("发展规划与改革处")
    await rename.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=unit_renamed")
    await page.locator("[data-testid=enable-form] button[type=submit]").click()
    await page.wait_for_load_state()
    assert "还有 1 名在职人员" in await page.inner_text("main")
    await screenshot(page, "unit-disable-refused", full_page=True)

    person = await Person.get(employee_no="D0002")
    await page.goto(f"/console/people/{person.id}/edit")
    move = page.locator("[data-testid=move-form]")
    await move.locator("select[name=unit_code]").select_option("FGW-BGS")
    await move.locator("input[name=reason]").fill("处室撤并")
    await move.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=person_moved")

    await page.goto(f"/console/units/{unit.id}")
    await page.locator("[data-testid=enable-form] button[type=submit]").click()
    await page.wait_for_url("**?done=unit_disabled")
    assert "已停用" in await page.inner_text("h1")
    await screenshot(page, "unit-disabled", full_page=True)
    await page.goto("/console/units")
    await screenshot(page, "units-tree", full_page=True)
    assert not (await Unit.get(id=unit.id)).is_enabled
