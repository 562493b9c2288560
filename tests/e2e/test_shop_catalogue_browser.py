"""The shop's catalogue and theme weeks in a real browser, on the demo data: the products with
their drawn photos, a SKU stocked in and adjusted past zero (refused at the field), the
suppliers with masked phones, and this week's page cloned into the week after next. Saved as
screenshots."""

from backend.core.demo import DemoContext
from backend.demo import create_superadmin
from backend.shop import demo
from backend.shop.models import Cycle, Product, Sku
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def test_staff_walk_the_catalogue_and_the_theme_weeks(browser_page, runtime, screenshot):
    await demo.seed(DemoContext(runtime.cipher, runtime.storage, runtime.redis, runtime.settings))
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    await page.click("nav >> text=商品")
    await page.wait_for_url("**/console/shop/products")
    assert await page.locator("table.data tbody tr").count() == len(demo.PRODUCTS)
    await screenshot(page, "shop-products", full_page=True)

    apple = await Product.get(name="阿克苏冰糖心苹果")
    await page.goto(f"/console/shop/products/{apple.id}")
    assert await page.locator(".dish-photo img").evaluate("img => img.naturalWidth") > 0
    await screenshot(page, "shop-product", full_page=True)

    sku = await Sku.filter(product_id=apple.id).order_by("id").first()
    await page.goto(f"/console/shop/skus/{sku.id}")
    stock_in = page.locator(f"form[action='/console/shop/skus/{sku.id}/stock-in']")
    await stock_in.locator("input[name=quantity]").fill("12")
    await stock_in.locator("input[name=note]").fill("第二批")
    await stock_in.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=stocked_in")
    adjust = page.locator(f"form[action='/console/shop/skus/{sku.id}/adjust']")
    await adjust.locator("input[name=delta]").fill("-999")
    await adjust.locator("input[name=note]").fill("盘点")
    await adjust.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    assert "不能小于 0" in await page.locator(".field-error").first.inner_text()
    assert (await Sku.get(id=sku.id)).stock == 62
    await screenshot(page, "shop-sku", full_page=True)

    await page.click("nav >> text=供货方")
    await page.wait_for_url("**/console/shop/suppliers")
    assert "139****0101" in await page.locator("[data-testid=suppliers]").inner_text()
    await screenshot(page, "shop-suppliers", full_page=True)

    await page.click("nav >> text=主题周")
    await page.wait_for_url("**/console/shop/cycles")
    await screenshot(page, "shop-cycles", full_page=True)
    following = await Cycle.filter(cloned_from_id__not_isnull=True).first()
    await page.goto(f"/console/shop/cycles/{following.cloned_from_id}")
    assert await page.locator("[data-testid=cycle-items] tbody tr").count() == 9
    assert await page.locator(".dish-photo img").evaluate("img => img.naturalWidth") > 0
    await screenshot(page, "shop-cycle", full_page=True)
    await page.goto(f"/console/shop/cycles/{following.id}")
    await page.click("text=复制为下一周")
    await page.wait_for_url("**?done=cloned")
    assert await Cycle.filter(cloned_from_id=following.id).exists()
    await screenshot(page, "shop-cycle-cloned", full_page=True)
