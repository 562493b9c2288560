"""The shop's orders in a real browser: staff open 订单 from the navigation, filter the list down to
the paid orders, and open one to see its lines, payment, refund and pickup. Pages are saved as
screenshots and checked for horizontal overflow."""

from datetime import timedelta

from backend.core.timeutil import now
from backend.shop.models import OrderState, Payment, PayMethod, Refund, RefundState
from tests.fixtures.shop import make_order
from tests.helpers import make_admin
from tests.helpers.browser import log_in


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def test_staff_filter_the_orders_and_open_a_paid_one(browser_page, shop_world, screenshot):
    w, at = shop_world, now()
    paid = await make_order(w, [(w.apple, 2), (w.tea, 1)], state=OrderState.PAID, created_at=at - timedelta(hours=1))
    await Payment.create(order=paid, method=PayMethod.WALLET, amount_fen=paid.total_fen, transfer_id=1, paid_at=at)
    tea_line = await paid.lines.filter(sku_id=w.tea.id).first()
    await Refund.create(
        refund_no="SR20261207000001",
        order=paid,
        line=tea_line,
        quantity=1,
        amount_fen=12000,
        method=PayMethod.WALLET,
        state=RefundState.REQUESTED,
        reason="包装破损",
        requested_by="张伟",
        created_at=at,
    )
    await make_order(w, [(w.fish, 1)], person_id=w.other_cadre_id)
    await make_admin("shopkeeper", ["shop.view_shop"])
    page = browser_page
    await log_in(page, "shopkeeper")

    await page.click("nav >> text=订单")
    await page.wait_for_url("**/console/shop/orders")
    assert await page.locator("table.data tbody tr").count() == 2
    await _no_horizontal_overflow(page)
    await screenshot(page, "shop-orders", full_page=True)
    await page.select_option("select[name=state]", "paid")
    await page.click(".filters button[type=submit]")
    await page.wait_for_url("**state=paid**")
    assert await page.locator("table.data tbody tr").count() == 1

    await page.click(f"table.data >> text={paid.order_no}")
    await page.wait_for_url(f"**/console/shop/orders/{paid.order_no}")
    assert await page.locator("[data-testid=order-lines] tbody tr").count() == 2
    assert await page.locator("[data-testid=order-refunds] tbody tr").count() == 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "shop-order", full_page=True)
