"""The card desk and the statement in a real browser: a card read by a desktop reader (typed,
then Enter) is issued, reported lost, unlocked and replaced, the balance staying with the new
card; then the statement, a range it refuses, and its export read back. Saved as screenshots."""

import io
import re
from decimal import Decimal

from openpyxl import load_workbook

from backend.accounts.models import Person
from backend.core.audit import CLI_ACTOR
from backend.demo import create_superadmin
from backend.wallet.models import Card, CardState
from backend.wallet.service import wallets
from tests.fixtures.canteen import pay
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in
from tests.helpers.money import grant_subsidy


def card_row(page, uid: str):
    return page.locator(f"tr[data-card='{uid}']")


async def test_the_desk_issues_locks_unlocks_and_replaces_a_card_then_exports_the_statement(
    browser_page, client, terminal, screenshot
):
    person = await Person.get(employee_no="D0002")
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    await log_in(page, "root")
    await page.goto(f"/console/people/{person.id}")

    # 发卡: the card field has the focus; the reader types the UID into it and presses Enter.
    assert await page.evaluate("document.activeElement.closest('form').action") == (
        f"{page.url.split('/console')[0]}/console/people/{person.id}/cards"
    )
    await page.keyboard.type("04a1b2c3")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**?done=card_issued")
    assert "已发卡" in await page.inner_text(".alert-ok")
    assert "正常" in await card_row(page, "04A1B2C3").inner_text()
    await screenshot(page, "card-desk-issued", full_page=True)

    await wallets.adjust(CLI_ACTOR, person.id, 8_800, "现金充值", "desk-browser-topup")
    await grant_subsidy(person.id, 1_200)
    assert (await pay(client, terminal, "TX-1", card_uid="04A1B2C3")).status_code == 200

    # 挂失, then the same card again at the issue form: refused at its field.
    await page.goto(f"/console/people/{person.id}")
    await card_row(page, "04A1B2C3").locator("button:text('挂失')").click()
    await page.wait_for_url("**?done=card_lost")
    assert "挂失" in await card_row(page, "04A1B2C3").inner_text()
    issue = page.locator("form[action$='/cards']")
    await issue.locator("input[name=uid]").fill("04A1B2C3")
    await issue.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    refused = page.locator("form[action$='/cards'] .field-error")
    assert "该卡已登记在此人名下（挂失）" in await refused.inner_text()
    await screenshot(page, "card-desk-lost-and-refused", full_page=True)

    # 解挂, then 补卡: the old card cancelled, the balance unchanged on the new one.
    await card_row(page, "04A1B2C3").locator("button:text('解挂')").click()
    await page.wait_for_url("**?done=card_unlocked")
    balances = await page.inner_text("[data-testid=wallet-balances]")
    assert "¥83.00" in balances and "¥2.00" in balances  # 88.00 cash, 12.00 subsidy, less a 15.00 lunch
    replace = page.locator("form[action$='/cards/replace']")
    await replace.locator("input[name=uid]").fill("04D5E6F7")
    await replace.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=card_replaced")
    assert "补卡完成" in await page.inner_text(".alert-ok")
    assert await page.inner_text("[data-testid=wallet-balances]") == balances
    assert "注销" in await card_row(page, "04A1B2C3").inner_text()
    assert "正常" in await card_row(page, "04D5E6F7").inner_text()
    await screenshot(page, "card-desk-replaced", full_page=True)
    assert {c.uid: c.state for c in await Card.filter(person_id=person.id)} == {
        "04A1B2C3": CardState.CANCELLED,
        "04D5E6F7": CardState.ACTIVE,
    }

    # The statement: from the person's page, this month so far.
    await page.click("a:text('对账单')")
    await page.wait_for_url(f"**/console/people/{person.id}/statement")
    table = page.locator("[data-testid=statement]")
    kinds = await table.locator("tr[data-line] td:nth-child(2)").all_inner_texts()
    assert kinds == ["人工调账", "餐补发放", "食堂消费"]
    assert await page.inner_text("[data-testid=closing]") == "¥85.00"
    await screenshot(page, "statement", full_page=True)

    async with page.expect_download() as waiting:
        await page.click("text=导出 Excel")
    download = await waiting.value
    assert download.suggested_filename.endswith(".xlsx") and "D0002" in download.suggested_filename
    sheet = load_workbook(io.BytesIO((await download.path()).read_bytes())).active
    _header, opening, *lines, _cash_in, _cash_out, closing = list(sheet.iter_rows(values_only=True))
    cash, subsidy = Decimal(str(opening[7])), Decimal(str(opening[8]))
    for line in lines:
        cash += Decimal(str(line[5] or 0))
        subsidy += Decimal(str(line[6] or 0))
        assert (Decimal(str(line[7])), Decimal(str(line[8]))) == (cash, subsidy), line
    assert [line[1] for line in lines] == kinds
    assert (Decimal(str(closing[7])), Decimal(str(closing[8])), Decimal(str(closing[9]))) == (
        Decimal("83.00"),
        Decimal("2.00"),
        Decimal("85.00"),
    )

    # A range that runs backwards comes back at the end date.
    await page.fill("input[name=start]", "2026-12-05")
    await page.fill("input[name=end]", "2026-12-01")
    await page.click("button:text('查询')")
    await page.wait_for_load_state()
    assert "结束日期不能早于开始日期" in await page.inner_text("label.has-error")
    assert re.search(r"end=2026-12-01", page.url)
    await screenshot(page, "statement-refused")
