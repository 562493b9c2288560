"""A person's wallet in a real browser: a cash refund typed in yuan, a refusal shown at its field,
then closing the wallet (销户). Saved as screenshots."""

from backend.accounts.models import Person
from backend.demo import create_superadmin
from backend.wallet.models import Wallet
from tests.fixtures.canteen import cardholder
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def test_finance_refunds_cash_then_closes_the_wallet(browser_page, canteen, screenshot):
    person_id = await cardholder("D0001", "AA000001", cash=8_800, subsidy=1_200)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto(f"/console/people/{person_id}")
    refund = page.locator("form[action$='/cash-refunds']")
    await refund.locator("input[name=amount]").fill("100")
    await refund.locator("input[name=reason]").fill("本人申请退还余额")
    await refund.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    assert "不能超过现金余额" in await page.locator("form[action$='/cash-refunds']").inner_text()
    await screenshot(page, "person-refund-refused", full_page=True)
    refund = page.locator("form[action$='/cash-refunds']")
    await refund.locator("input[name=amount]").fill("30.00")
    await refund.locator("select[name=method]").select_option("bank_transfer")
    await refund.locator("input[name=payout_reference]").fill("BOC20261122")
    await refund.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=refunded")
    assert "退款已登记" in await page.inner_text(".alert-ok")
    close = page.locator("form[action$='/close']")
    await close.locator("select[name=method]").select_option("cash")
    await close.locator("input[name=reason]").fill("调离本单位")
    await close.locator("input[name=confirm]").check()
    await close.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=closed")
    await screenshot(page, "person-closed", full_page=True)
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (0, 0) and wallet.closed_at is not None
    assert (await Person.get(id=person_id)).name in await page.inner_text("h1")
