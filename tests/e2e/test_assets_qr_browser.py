"""Asset QR codes and reports in a real browser: a phone's camera opens an asset's code and sees
what it is; an asset officer prints a label sheet from typed numbers; the report page draws its
charts. Screenshots are saved for a person to look at."""

from __future__ import annotations

from tests.helpers import make_admin
from tests.helpers.browser import log_in

PHONE = {"width": 390, "height": 844}


async def test_a_phone_opening_an_asset_code_sees_the_asset(chromium, app, assets_world, screenshot):
    context = await chromium.new_context(viewport=PHONE, locale="zh-CN", base_url=app.ctx.base_url)
    page = await context.new_page()
    pc = assets_world.assets["pc"]
    await page.goto(f"/q/a/{pc.asset_no}")
    assert await page.inner_text("[data-testid=qr-asset-name]") == "台式计算机"
    assert await page.inner_text("[data-testid=qr-asset-no]") == pc.asset_no
    await screenshot(page, "assets-qr-phone")
    await context.close()


async def test_an_officer_prints_labels_and_reads_the_report(browser_page, assets_world, screenshot):
    await make_admin("officer", ["assets.view_assets", "assets.view_report"])
    page = browser_page
    await log_in(page, "officer")
    await page.goto("/console/assets/labels")
    pc, desk = assets_world.assets["pc"], assets_world.assets["desk"]
    await page.fill("textarea[name=numbers]", f"{pc.asset_no}\n{desk.asset_no}")
    async with page.expect_popup() as opened:
        await page.click("[data-testid=labels-form] button[type=submit]")
    sheet = await opened.value
    await sheet.wait_for_load_state()
    await screenshot(page, "assets-labels")
    answer = await page.request.post(
        "/console/assets/labels.pdf",
        form={"csrf_token": await page.get_attribute("input[name=csrf_token]", "value"), "numbers": pc.asset_no},
    )
    assert answer.headers["content-type"] == "application/pdf"
    await page.goto("/console/assets/reports")
    await page.wait_for_selector("[data-testid=units-chart] svg rect.bar")
    assert "市发展和改革委员会·办公室" in await page.inner_text("[data-testid=units-table]")
    await screenshot(page, "assets-report", full_page=True)
