"""Money of shop orders written straight to the tables, as the payment and refund services leave
it (a Payment or Refund row with its ledger transfer on the shop's revenue, the order's amounts
and state), so that reports and settlements are tested without every step of paying."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.core.timeutil import now
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
    Supplier,
)
from backend.shop.service.accounts import REVENUE
from backend.wallet.models import TransferKind
from backend.wallet.service import ledger


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
