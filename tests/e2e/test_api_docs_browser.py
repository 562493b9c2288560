"""The API docs page (/docs) in Chromium: Swagger UI lists the routes under their modules'
Chinese titles with Chinese summaries, and shows an answer's schema."""

from playwright.async_api import expect


async def test_docs_list_routes_by_module_in_chinese(browser_page, screenshot):
    page = browser_page
    # Swagger UI draws a long document's sections as they scroll into view: a deep link to a
    # module's section brings it there.
    await page.goto("/docs#/小程序·一卡通")
    await expect(page.locator(".opblock-tag", has_text="小程序·一卡通").first).to_be_visible()
    await page.goto("about:blank")
    await page.goto("/docs#/智慧食堂")
    canteen = page.locator(".opblock-tag", has_text="智慧食堂").first
    await expect(canteen).to_be_visible()
    await screenshot(page, "api-docs")
    payments = page.locator(".opblock", has_text="/admin/v1/canteen/payments").first
    await expect(payments.locator(".opblock-summary-description")).to_have_text("消费记录（分页，可筛选）")
    await payments.locator(".opblock-summary").click()
    await expect(payments.get_by_text("营业日（YYYY-MM-DD）")).to_be_visible()
    # The answer's example is drawn from its published schema.
    await expect(payments.locator(".responses-wrapper").get_by_text("成功").first).to_be_visible()
    await expect(payments.locator(".responses-wrapper").get_by_text('"refusal_code"').first).to_be_visible()
    await payments.locator(".parameters").scroll_into_view_if_needed()
    await screenshot(page, "api-docs-payments")
