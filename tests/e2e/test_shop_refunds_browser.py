"""The shop's refunds page in a real browser: a cadre's request approved from the list (the
money back in the wallet), then a staff refund of another line found by order number. Saved as
screenshots."""

from backend.core.timeutil import now
from backend.demo import create_superadmin
from backend.shop.models import OrderLine
from backend.shop.service import refunds
from tests.fixtures.shop import make_order
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in
from tests.helpers.shop_money import cash_of, paid_by_wallet


async def test_a_request_is_approved_and_a_line_refunded_by_staff(browser_page, shop_world, screenshot):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2), (shop_world.tea, 1)]))
    apple = await OrderLine.get(order_id=order.id, sku_id=shop_world.apple.id)
    asked = await refunds.request(shop_world.cadre_id, order.order_no, apple.id, 1, "一箱有磕碰", now())
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto("/console/shop/refunds")
    await screenshot(page, "shop-refunds-requested", full_page=True)
    row = page.locator("tr", has_text=asked["refund_no"])
    await row.locator("input[name=note]").fill("核实属实")
    await row.get_by_role("button", name="同意退款").click()
    await page.wait_for_url("**?done=approved")
    assert "已同意退款" in await page.inner_text(".alert-ok")
    assert await cash_of(shop_world.cadre_id) == 50_000 - 25_600 + 6_800

    await page.fill("input[name=refund_order]", order.order_no)
    await page.get_by_role("button", name="查找订单").click()
    await page.select_option("select[name=line_id]", label="径山茶 250 g，单价 120.00 元，可退 1 件")
    await page.fill("input[name=reason]", "供货方缺货")
    await page.get_by_role("button", name="确认退款").click()
    await page.wait_for_url("**done=refunded")
    assert "退款已办理" in await page.inner_text(".alert-ok")
    assert "供货方缺货" in await page.inner_text("table.data")
    await screenshot(page, "shop-refunds-done", full_page=True)
    assert await cash_of(shop_world.cadre_id) == 50_000 - 25_600 + 6_800 + 12_000
