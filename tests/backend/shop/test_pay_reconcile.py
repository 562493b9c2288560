"""The shop's reconciliation: clean after payments and refunds by the wallet and WeChat Pay, and
naming what is wrong when a shop entry, an order's amounts or a SKU's stock were tampered with."""

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.core.audit import Actor
from backend.core.timeutil import now
from backend.shop.models import Order, OrderLine, Sku
from backend.shop.service import refunds
from backend.shop.service.accounts import REVENUE
from backend.wallet.models import LedgerEntry, TransferKind
from backend.wallet.service import ledger
from backend.wallet.service import reconcile as wallet_reconcile
from tests.fixtures.shop import make_order
from tests.helpers import bearer, seed_units_and_roster
from tests.helpers.cadres import bound_token
from tests.helpers.shop_money import assert_shop_books_clean, notify, paid_by_wallet, shop_problems

STAFF = Actor(admin_id=None, name="食味坊值班员")


async def paid_and_partly_refunded(world, runtime) -> Order:
    order = await paid_by_wallet(await make_order(world, [(world.apple, 2), (world.tea, 1)]))
    line = await OrderLine.get(order_id=order.id, sku_id=world.apple.id)
    await refunds.refund_by_staff(STAFF, order.order_no, line.id, 1, "坏果", runtime.wechatpay, "reconcile-key1", now())
    return order


async def test_books_are_clean_after_a_payment_and_a_refund(shop_world, runtime):
    await paid_and_partly_refunded(shop_world, runtime)
    await assert_shop_books_clean()


async def test_a_tampered_revenue_entry_is_named(shop_world, runtime):
    await paid_and_partly_refunded(shop_world, runtime)
    entry = await LedgerEntry.filter(account=REVENUE, amount__gt=0).first()
    await LedgerEntry.filter(id=entry.id).update(amount=entry.amount - 100)
    problems = await shop_problems()
    assert any(p.startswith("食味坊收入账户余额") for p in problems)
    assert any(p.startswith("食味坊收款") for p in problems)


async def test_an_order_whose_refunded_amount_was_altered_is_named(shop_world, runtime):
    order = await paid_and_partly_refunded(shop_world, runtime)
    await Order.filter(id=order.id).update(refunded_fen=F("refunded_fen") + 1)
    assert f"食味坊订单 {order.order_no}：已退 6801 分，退款记录 6800 分" in await shop_problems()


async def test_stock_that_moved_without_its_ledger_row_is_named(shop_world, runtime):
    await Sku.filter(id=shop_world.tea.id).update(stock=F("stock") + 3)
    assert f"食味坊规格 {shop_world.tea.id}：库存 23，库存流水合计 20" in await shop_problems()


async def test_the_wallets_top_up_check_leaves_the_shops_wechat_pay_legs_to_the_shop(
    client, runtime, wechat, wechatpay
):
    """Top-ups and the shop's WeChat Pay payments share the clearing account: the wallet's check
    matches top-ups against top-up vouchers only (a top-up still goes through the one endpoint,
    dispatched by its "TU" prefix)."""
    await seed_units_and_roster(runtime.cipher)
    token = await bound_token(client, wechat)
    topup = await client.post(
        "/mp/v1/wallet/topups", headers=bearer(token), json={"amount_fen": 10_000, "client_ref": "tap-reconcile-1"}
    )
    await notify(client, wechatpay, topup.json()["order"]["out_trade_no"])
    async with in_transaction() as conn:
        await ledger.post(
            conn, TransferKind.SHOP_PAYMENT, [(ledger.WECHATPAY_CLEARING, -6_800), (REVENUE, 6_800)], at=now()
        )
        assert await wallet_reconcile.check(conn, now().date()) == []
