"""Money of shop orders written straight to the tables, as the payment and refund services leave
it (a Payment or Refund row with its ledger transfer on the shop's revenue, the order's amounts
and state), so that reports and settlements are tested without every step of paying."""

from __future__ import annotations

import secrets
from datetime import datetime

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.core.timeutil import now
from backend.shop.models import Order, OrderLine, OrderState, Payment, PayMethod, Refund, RefundState
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
