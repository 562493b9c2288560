"""Paying and refunding shop orders in tests: through the shop's own money services, or written
straight to the tables as those services leave them (a Payment or Refund row with its ledger
transfer on the shop's revenue) for reports and settlements; and the checks every money test
ends with: the shop's books (its reconcile) and the ledger's balance."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from backend.core.timeutil import BUSINESS_TZ, now
from backend.shop.models import (
    Category,
    Cycle,
    Order,
    OrderLine,
    OrderState,
    OriginKind,
    Payment,
    PayMethod,
    Product,
    Refund,
    RefundState,
    Sku,
    StockMove,
    StockReason,
    Supplier,
)
from backend.shop.service import orders, payments
from backend.shop.service import reconcile as shop_reconcile
from backend.shop.service.accounts import REVENUE
from backend.wallet.models import LedgerEntry, TransferKind, Wallet
from backend.wallet.service import ledger
from tests.helpers.money import assert_books_clean

NOTIFY = "/pay/wechat/notify"


async def paid_by_wallet(order: Order) -> Order:
    await payments.pay_with_wallet(order.person_id, order.order_no, now())
    return await Order.get(id=order.id)


async def wechat_order(pay, order: Order) -> str:
    """The order sent to WeChat Pay (the cadre is bound to WeChat); its out_trade_no."""
    answer = await payments.pay_with_wechat(pay, order.person_id, order.order_no, now())
    assert answer["request_payment"]["package"].startswith("prepay_id=")
    return (await Order.get(id=order.id)).out_trade_no


async def notify(client, wechatpay, out_trade_no: str, **kwargs):
    headers, body = wechatpay.build_notification(out_trade_no, **kwargs)
    return await client.post(NOTIFY, content=body, headers=headers)


async def notify_refund(client, wechatpay, refund_no: str, status: str = "SUCCESS", **kwargs):
    headers, body = wechatpay.build_refund_notification(refund_no, status, **kwargs)
    return await client.post(NOTIFY, content=body, headers=headers)


async def cash_of(person_id: int) -> int:
    wallet = await Wallet.get_or_none(person_id=person_id)
    return wallet.cash_balance if wallet else 0


async def shop_problems() -> list[str]:
    """What the shop's reconcile finds wrong, plus any voucher whose legs do not balance."""
    async with in_transaction() as conn:
        problems = await shop_reconcile.check(conn, now().astimezone(BUSINESS_TZ).date())
    unbalanced = (
        await LedgerEntry.all()
        .annotate(total=Sum("amount"))
        .group_by("transfer_id")
        .filter(total__not=0)
        .values_list("transfer_id", "total")
    )
    return [*problems, *(f"voucher {t} does not balance: {total}" for t, total in unbalanced)]


async def assert_shop_books_clean() -> None:
    """The shop's own books, then the whole platform's reconcile (every account, every module)."""
    problems = await shop_problems()
    assert problems == [], problems
    await assert_books_clean()


async def time_out(order: Order) -> bool:
    """The time-out job run at the order's deadline (orders.expire_unpaid): whether it cancelled
    this order."""
    await orders.expire_unpaid(order.expires_at)
    return (await Order.get(id=order.id)).state == OrderState.CANCELLED


async def paid_shop_line(person_id: int, price_fen: int = 1_000) -> dict:
    """A one-line order of one unit paid from the wallet of `person_id` (who needs the cash), on
    a catalogue and cycle of its own: for tests that need any paid line, such as the audit walk.
    {"order_no", "line_id"}."""
    tag = secrets.token_hex(4)
    at = now()
    supplier = await Supplier.create(name=f"审计供货方{tag}", region="杭州市", origin_kind=OriginKind.LOCAL)
    product = await Product.create(
        name=f"审计商品{tag}", supplier=supplier, category=Category.OTHER, origin="杭州市", origin_kind=OriginKind.LOCAL
    )
    sku = await Sku.create(product=product, spec="一份", price_fen=price_fen)
    cycle = await Cycle.create(
        title=f"审计周{tag}",
        opens_at=at - timedelta(hours=1),
        closes_at=at + timedelta(hours=1),
        pickup_days=[(at + timedelta(days=1)).astimezone(BUSINESS_TZ).date().isoformat()],
        pickup_place="一号食堂",
    )
    async with in_transaction() as conn:
        await StockMove.create(sku_id=sku.id, delta=1, reason=StockReason.STOCK_IN, at=at, using_db=conn)
        order = await Order.create(
            order_no=f"SO{tag.upper()}",
            person_id=person_id,
            cycle_id=cycle.id,
            client_ref=tag,
            total_fen=price_fen,
            pickup_code=f"{secrets.randbelow(10**8):08d}",
            pickup_day=(at + timedelta(days=1)).astimezone(BUSINESS_TZ).date(),
            pickup_place="一号食堂",
            created_at=at,
            expires_at=at + timedelta(minutes=15),
            using_db=conn,
        )
        await StockMove.create(
            sku_id=sku.id, delta=-1, reason=StockReason.ORDER, order_id=order.id, at=at, using_db=conn
        )
        line = await OrderLine.create(
            order=order,
            sku_id=sku.id,
            supplier_id=supplier.id,
            product_name=product.name,
            spec=sku.spec,
            unit_price_fen=price_fen,
            quantity=1,
            amount_fen=price_fen,
            using_db=conn,
        )
    await payments.pay_with_wallet(person_id, order.order_no, now())
    return {"order_no": order.order_no, "line_id": line.id}


async def pay(order: Order, at: datetime | None = None, state: OrderState = OrderState.PAID) -> Payment:
    """The order paid by WeChat Pay at `at` (its whole total into the shop's revenue), left in `state`."""
    at = at or now()
    async with in_transaction() as conn:
        transfer_id = await ledger.post(
            conn,
            TransferKind.SHOP_PAYMENT,
            [(ledger.WECHATPAY_CLEARING, -order.total_fen), (REVENUE, order.total_fen)],
            at=at,
            reference=f"shop:{order.order_no}",
        )
        payment = await Payment.create(
            order_id=order.id,
            method=PayMethod.WECHAT,
            amount_fen=order.total_fen,
            transfer_id=transfer_id,
            transaction_id=secrets.token_hex(12),
            paid_at=at,
            using_db=conn,
        )
        await (
            Order.filter(id=order.id)
            .using_db(conn)
            .update(state=state, paid_fen=order.total_fen, pay_method=PayMethod.WECHAT, paid_at=at)
        )
    return payment


async def refund(
    order: Order,
    line: OrderLine,
    quantity: int,
    state: RefundState = RefundState.SUCCEEDED,
    at: datetime | None = None,
) -> Refund:
    """A refund of `quantity` of the line in `state`; a finished one moves its money back out of
    the shop's revenue and counts on the line and the order."""
    at = at or now()
    amount = line.unit_price_fen * quantity
    async with in_transaction() as conn:
        transfer_id = None
        if state is RefundState.SUCCEEDED:
            transfer_id = await ledger.post(
                conn,
                TransferKind.SHOP_REFUND,
                [(REVENUE, -amount), (ledger.WECHATPAY_CLEARING, amount)],
                at=at,
                reference=f"shop:{order.order_no}",
            )
            await (
                OrderLine.filter(id=line.id)
                .using_db(conn)
                .update(refunded_quantity=F("refunded_quantity") + quantity, refunded_fen=F("refunded_fen") + amount)
            )
            await Order.filter(id=order.id).using_db(conn).update(refunded_fen=F("refunded_fen") + amount)
        return await Refund.create(
            refund_no=f"SR{secrets.token_hex(6).upper()}",
            order_id=order.id,
            line_id=line.id,
            quantity=quantity,
            amount_fen=amount,
            method=PayMethod.WECHAT,
            state=state,
            reason="测试退款",
            requested_by="测试",
            transfer_id=transfer_id,
            created_at=at,
            finished_at=at if state is RefundState.SUCCEEDED else None,
            using_db=conn,
        )


async def line_of(order: Order, sku_id: int) -> OrderLine:
    return await OrderLine.get(order_id=order.id, sku_id=sku_id)


async def owed_supplier(name: str, person_id: int, amount_fen: int = 100_00) -> int:
    """A new supplier owed `amount_fen`: one unit of its goods in an order of `person_id`, paid
    now, in a theme week long past (so it stands in no current week's way). Its id."""
    supplier = await Supplier.create(name=name, region="杭州市", origin_kind=OriginKind.LOCAL)
    product = await Product.create(
        name=f"{name}土产", supplier=supplier, category=Category.OTHER, origin="杭州市", origin_kind=OriginKind.LOCAL
    )
    sku = await Sku.create(product=product, spec="一份", price_fen=amount_fen)
    past = now() - timedelta(days=400)
    cycle = await Cycle.create(
        title=f"{name}周",
        opens_at=past,
        closes_at=past + timedelta(days=3),
        pickup_days=[(past + timedelta(days=4)).date().isoformat()],
        pickup_place="行政中心一号食堂入口",
    )
    order = await Order.create(
        order_no=f"SO{secrets.token_hex(6).upper()}",
        person_id=person_id,
        cycle_id=cycle.id,
        client_ref=secrets.token_hex(8),
        total_fen=amount_fen,
        pickup_code=f"{secrets.randbelow(10**8):08d}",
        pickup_day=(past + timedelta(days=4)).date(),
        pickup_place=cycle.pickup_place,
        created_at=past,
        expires_at=past + timedelta(minutes=15),
    )
    await OrderLine.create(
        order=order,
        sku=sku,
        supplier=supplier,
        product_name=product.name,
        spec=sku.spec,
        unit_price_fen=amount_fen,
        quantity=1,
        amount_fen=amount_fen,
    )
    await pay(order, state=OrderState.PICKED_UP)
    return supplier.id
