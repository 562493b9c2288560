"""The shop's reports in a real browser: finance opens the supplier settlement page from the
navigation, follows a supplier's 登记结算 link to the form filled with what is owed, records the
settlement and sees it in the history; the sales page draws its two charts; the purchase list
opens on the next pickup day and downloads one sheet per supplier."""

import io

from openpyxl import load_workbook

from backend.demo import create_superadmin
from backend.shop.models import OrderState, Settlement
from tests.fixtures.shop import make_order
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in
from tests.helpers.shop_money import line_of, pay, refund

PARTNER = "阿克苏红旗坡果业合作社"


async def _orders(world) -> None:
    """Apples (one box refunded) and tea for 张伟, apples and fish for the other cadre."""
    first = await make_order(world, [(world.apple, 2), (world.tea, 1)])
    await pay(first, state=OrderState.READY)
    await refund(first, await line_of(first, world.apple.id), 1)
    await pay(await make_order(world, [(world.apple, 1), (world.fish, 2)], person_id=world.other_cadre_id))


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def test_finance_settles_a_supplier_from_its_row(browser_page, shop_world, screenshot):
    await _orders(shop_world)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.click("nav >> text=供货方结算")
    assert await page.locator("[data-testid=settlement-chart] rect.bar").count() == 2
    assert await page.inner_text("[data-testid=owed-total]") == "¥346.00"  # 68 × 3 + 120 + 45 × 2 − 68
    await _no_horizontal_overflow(page)
    await screenshot(page, "shop-settlements", full_page=True)

    row = page.locator("[data-testid=settlement-table] tr", has_text=PARTNER)
    await row.locator("text=登记结算").click()
    await page.wait_for_url("**supplier=**")
    assert await page.input_value("input[name=amount_fen]") == "136.00"
    await page.fill("input[name=amount_fen]", "136.01")
    await page.fill("input[name=reference]", "工行转账 20261207001")
    await page.click("#settle-form button[type=submit]")
    assert "超出了应付金额" in await page.inner_text("#settle-form .field-error")
    await screenshot(page, "shop-settlement-refused", full_page=True)

    await page.fill("input[name=amount_fen]", "136")
    await page.click("#settle-form button[type=submit]")
    await page.wait_for_url("**done=settled**")
    assert "结算已登记" in await page.inner_text("[role=status]")
    assert "工行转账 20261207001" in await page.inner_text("[data-testid=settlement-history]")
    assert await page.inner_text("[data-testid=owed-total]") == "¥210.00"
    assert await Settlement.all().count() == 1
    await screenshot(page, "shop-settlement-done", full_page=True)


async def test_the_sales_and_purchase_pages_draw_and_export(browser_page, shop_world, screenshot):
    await _orders(shop_world)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.click("nav >> text=销售报表")
    assert await page.locator("[data-testid=regions-chart] rect.bar").count() == 3
    assert await page.locator("[data-testid=cycles-chart] rect.bar").count() == 1
    assert await page.inner_text("[data-testid=sales-net]") == "¥346.00"
    await _no_horizontal_overflow(page)
    await screenshot(page, "shop-sales", full_page=True)

    await page.click("nav >> text=备货单")
    assert await page.locator("[data-testid=purchase-supplier]").count() == 2
    await _no_horizontal_overflow(page)
    await screenshot(page, "shop-purchase-list", full_page=True)
    async with page.expect_download() as waiting:
        await page.click("text=导出 Excel")
    download = await waiting.value
    assert download.suggested_filename.startswith("备货单-")
    book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    assert book.sheetnames == ["余杭径山茶农合作社", PARTNER]
