"""The produce shop's reconciliation checks (run by `houqin reconcile` with every module's own):

1. The shop's revenue account holds what was paid, less the refunds made and the settlements
   paid out to suppliers.
2. Every payment's voucher moved its amount into the revenue (and, by WeChat Pay, out of the
   clearing account); every finished refund's voucher moved its amount out of it.
3. Each order's paid and refunded amounts are its payment's and its finished refunds'; each
   line's refunds are its refunds' and never more than the line.
4. Each SKU's stock equals the sum of its stock moves, and is never below zero.

The ledger is read through the wallet's service, never its tables.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from tortoise.functions import Sum

from backend.shop.models import Order, OrderLine, Payment, PayMethod, Refund, RefundState, Settlement, Sku, StockMove
from backend.shop.service.accounts import REVENUE
from backend.wallet.service import ledger


async def _total(conn: Any, query) -> int:
    value = await query.using_db(conn).annotate(total=Sum("amount_fen")).first().values_list("total", flat=True)
    return int(value or 0)


async def _revenue(conn: Any) -> list[str]:
    paid = await _total(conn, Payment.all())
    refunded = await _total(conn, Refund.filter(state=RefundState.SUCCEEDED))
    settled = await _total(conn, Settlement.all())
    held = await ledger.account_balance(conn, REVENUE)
    if held != paid - refunded - settled:
        return [
            f"食味坊收入账户余额 {held} 分，应为收款 {paid} 分 − 退款 {refunded} 分 − 结算 {settled} 分 "
            f"= {paid - refunded - settled} 分"
        ]
    return []


async def _vouchers(conn: Any) -> list[str]:
    problems = []
    payments = await Payment.all().using_db(conn).values_list("id", "method", "amount_fen", "transfer_id")
    refunds = (
        await Refund.filter(state=RefundState.SUCCEEDED)
        .using_db(conn)
        .values_list("refund_no", "method", "amount_fen", "transfer_id")
    )
    ids = [t for *_, t in payments if t is not None] + [t for *_, t in refunds if t is not None]
    revenue_legs = await ledger.leg_amounts(conn, ids, REVENUE)
    clearing_legs = await ledger.leg_amounts(conn, ids, ledger.WECHATPAY_CLEARING)
    for payment_id, method, amount, transfer_id in payments:
        wechat = PayMethod(method) == PayMethod.WECHAT
        if transfer_id is None or revenue_legs.get(transfer_id) != amount:
            problems.append(f"食味坊收款 {payment_id}：金额 {amount} 分与其凭证 {transfer_id} 的入账不符")
        elif wechat and clearing_legs.get(transfer_id) != -amount:
            problems.append(f"食味坊收款 {payment_id}：微信支付清算账户未记 {amount} 分")
    for refund_no, method, amount, transfer_id in refunds:
        wechat = PayMethod(method) == PayMethod.WECHAT
        if transfer_id is None or revenue_legs.get(transfer_id) != -amount:
            problems.append(f"食味坊退款 {refund_no}：金额 {amount} 分与其凭证 {transfer_id} 的出账不符")
        elif wechat and clearing_legs.get(transfer_id) != amount:
            problems.append(f"食味坊退款 {refund_no}：微信支付清算账户未记 {amount} 分")
    return problems


async def _orders(conn: Any) -> list[str]:
    problems = []
    paid = dict(await Payment.all().using_db(conn).values_list("order_id", "amount_fen"))
    refunded: dict[int, int] = defaultdict(int)
    line_refunds: dict[int, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for order_id, line_id, quantity, amount in (
        await Refund.filter(state=RefundState.SUCCEEDED)
        .using_db(conn)
        .values_list("order_id", "line_id", "quantity", "amount_fen")
    ):
        refunded[order_id] += amount
        q, fen = line_refunds[line_id]
        line_refunds[line_id] = (q + quantity, fen + amount)
    for order_no, order_id, paid_fen, refunded_fen in (
        await Order.all().using_db(conn).values_list("order_no", "id", "paid_fen", "refunded_fen")
    ):
        if paid_fen != paid.get(order_id, 0):
            problems.append(f"食味坊订单 {order_no}：已付 {paid_fen} 分，收款记录 {paid.get(order_id, 0)} 分")
        if refunded_fen != refunded[order_id]:
            problems.append(f"食味坊订单 {order_no}：已退 {refunded_fen} 分，退款记录 {refunded[order_id]} 分")
        if refunded_fen > paid_fen:
            problems.append(f"食味坊订单 {order_no}：退款 {refunded_fen} 分超过已付 {paid_fen} 分")
    for line_id, quantity, amount, refunded_quantity, refunded_amount in (
        await OrderLine.all()
        .using_db(conn)
        .values_list("id", "quantity", "amount_fen", "refunded_quantity", "refunded_fen")
    ):
        if (refunded_quantity, refunded_amount) != line_refunds[line_id]:
            problems.append(f"食味坊订单行 {line_id}：已退 {refunded_quantity} 件 {refunded_amount} 分，与退款记录不符")
        if refunded_quantity > quantity or refunded_amount > amount:
            problems.append(f"食味坊订单行 {line_id}：退款超过该行（{quantity} 件 {amount} 分）")
    return problems


async def _stock(conn: Any) -> list[str]:
    problems = []
    moved = dict(
        await StockMove.all()
        .using_db(conn)
        .annotate(total=Sum("delta"))
        .group_by("sku_id")
        .values_list("sku_id", "total")
    )
    for sku_id, stock in await Sku.all().using_db(conn).values_list("id", "stock"):
        if stock != int(moved.get(sku_id) or 0):
            problems.append(f"食味坊规格 {sku_id}：库存 {stock}，库存流水合计 {int(moved.get(sku_id) or 0)}")
        if stock < 0:
            problems.append(f"食味坊规格 {sku_id}：库存为负（{stock}）")
    return problems


async def check(conn: Any, day: date) -> list[str]:
    """Every broken invariant of the shop's money and stock, in words (over all days: `day` is
    the common signature of the checks)."""
    return [*await _revenue(conn), *await _vouchers(conn), *await _orders(conn), *await _stock(conn)]
