"""The 公物仓 page in a real browser: the keeper opens it from the navigation, moves an asset in
by its number with a photo, and sees it in the stock beside the item already there; a loan out
is listed with its return form. Pages are saved as screenshots and checked for horizontal
overflow."""

from backend.assets.models import Asset, AssetStatus
from tests.helpers import jpeg, make_admin
from tests.helpers.assets_approvals import approved_loan
from tests.helpers.browser import log_in


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def test_the_keeper_moves_an_asset_in_and_sees_the_stock_and_loans(
    browser_page, assets_world, screenshot, tmp_path
):
    pc = assets_world.assets["pc"]
    await make_admin("keeper", ["assets.run_warehouse"])
    page = browser_page
    await log_in(page, "keeper")
    await page.click("nav >> text=公物仓")
    await page.wait_for_url("**/console/assets/warehouse")
    await page.fill("input[name=asset_no]", pc.asset_no)
    await page.select_option("select[name=warehouse_id]", str(assets_world.warehouse.id))
    await page.select_option("select[name=condition]", "good")
    await page.fill("textarea[name=description]", "机房更新换下，可正常使用")
    photo = tmp_path / "pc.jpg"
    photo.write_bytes(jpeg())
    await page.set_input_files("input[name=photos]", str(photo))
    await page.click("#move-in button[type=submit]")
    await page.wait_for_url("**done=moved_in")
    assert await page.locator(".alert").first.text_content() is not None
    stock = page.locator("section:has(h2:has-text('库存')) tbody tr")
    assert await stock.count() == 2
    await _no_horizontal_overflow(page)
    await screenshot(page, "assets-warehouse", full_page=True)
    assert (await Asset.get(id=pc.id)).status is AssetStatus.IN_WAREHOUSE

    await approved_loan(
        assets_world, "browser-loan-01", 3, person="D0003", unit="CZJ-BGS", approver="D0004", approver_unit="CZJ"
    )
    await page.goto("/console/assets/warehouse?state=all")
    assert await page.locator("#loans tbody tr").count() == 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "assets-warehouse-loans", full_page=True)
