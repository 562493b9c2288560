"""Paying a shop order (支付): from the wallet's cash, or by WeChat Pay (JSAPI).

An order is paid once: its claim PENDING→PAID is one conditional UPDATE, and `Payment.order` is
unique. From the wallet the claim runs inside the wallet's charge (`charge.charge`), on its
transaction and under the wallet's lock, so the debit, the voucher, the Payment row and the
state change commit together or not at all; cash only, the meal subsidy never pays for the
shop. By WeChat Pay the order gets its out_trade_no (`SP` + order number) and is booked from a
verified notification or from WeChat Pay's answer to our query, with WeChat Pay's amount
checked against the order's. Money that arrives for an order cancelled meanwhile (it timed out
while the cadre was paying) is booked, and a whole refund by WeChat Pay is opened at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core import sql
from backend.core.money import format_yuan
from backend.core.timeutil import now
from backend.core.wechatpay import PaymentNotice, WeChatPay, WeChatPayError, WeChatPayRejected
from backend.shop.errors import ShopError
from backend.shop.models import Order, OrderState, Payment, PayMethod
from backend.shop.service import orders, refunds
from backend.shop.service.accounts import REVENUE
from backend.wallet.service import charge, ledger
from backend.wallet.service.ledger import TransferKind

log = logging.getLogger("houqin.shop.pay")

OUT_TRADE_PREFIX = "SP"
# WeChat Pay usually notifies within seconds; an order still unpaid this long after it was
# created is asked about. A JSAPI prepay_id can be paid for two hours, so an order is no longer
# asked about after GIVE_UP_AFTER.
QUERY_AFTER = timedelta(minutes=2)
GIVE_UP_AFTER = timedelta(hours=3)
PAID_AFTER_CANCEL = "订单已取消，款项原路退回"


class _AlreadyPaid(Exception):
    """The order was paid by the time the claim ran (a double tap, a notification first)."""


def out_trade_no_of(order_no: str) -> str:
    return f"{OUT_TRADE_PREFIX}{order_no}"


def payment_view(order: Order, payment: Payment | None) -> dict:
    return {
        "order_no": order.order_no,
        "state": order.state.value,
        "state_label": order.state.label,
        "total_fen": order.total_fen,
        "paid_fen": order.paid_fen,
        "method": payment.method.value if payment else None,
        "method_label": payment.method.label if payment else None,
        "paid_at": payment.paid_at.isoformat() if payment else None,
    }


async def _paid_answer(order_id: int) -> dict:
    order = await Order.get(id=order_id)
    return payment_view(order, await Payment.get_or_none(order_id=order_id))


async def _refuse_unless_payable(order: Order) -> dict | None:
    """The existing payment's view for a paid order (paying again answers it), None for a
    pending one; any other order is refused."""
    if await Payment.exists(order_id=order.id):
        return await _paid_answer(order.id)
    if order.state != OrderState.PENDING:
        raise ShopError.ORDER_NOT_PENDING.error()
    return None


def _payment_row(order: Order, method: PayMethod, at: datetime, **values: Any) -> dict:
    stored = {"order_id": order.id, "method": method, "amount_fen": order.total_fen, "paid_at": at, **values}
    plain = {k: v for k, v in stored.items() if v is not charge.TRANSFER_ID}
    row = dict(zip(plain, sql.db_values(Payment, **plain), strict=True))
    return {k: row.get(k, charge.TRANSFER_ID) for k in stored}


async def _close_wechat_order(pay: WeChatPay | None, order: Order) -> bool:
    """Before the wallet pays an order already sent to WeChat Pay: book the WeChat payment if the
    cadre made it (True), else close the WeChat order so that it can no longer be paid, and the
    order is never paid twice. WeChat Pay out of reach refuses the wallet payment for now."""
    if order.out_trade_no is None or pay is None:
        return False
    try:
        notice = await pay.query_order(order.out_trade_no)
        if notice is None or not notice.paid:
            await pay.close_order(order.out_trade_no)
            return False
    except WeChatPayRejected as rejected:
        if rejected.code != "ORDERPAID":
            raise ShopError.WECHATPAY_UNAVAILABLE.error() from rejected
        notice = await pay.query_order(order.out_trade_no)
    except WeChatPayError as exc:
        log.warning("shop order's WeChat Pay state unknown", extra={"out_trade_no": order.out_trade_no})
        raise ShopError.WECHATPAY_UNAVAILABLE.error() from exc
    if notice is None or not notice.paid:
        raise ShopError.WECHATPAY_UNAVAILABLE.error()
    await apply_notice(notice)
    return True


async def pay_with_wallet(person_id: int, order_no: str, at: datetime, pay: WeChatPay | None = None) -> dict:
    """Pay a pending order from the cadre's cash: the claim, the debit, the voucher to the
    shop's revenue and the Payment in one transaction. Paying a paid order again answers its
    payment; a cancelled or timed-out one is refused in words. An order sent to WeChat Pay
    before (`pay`) is settled with WeChat Pay first (`_close_wechat_order`)."""
    order = await orders.find_order(order_no, person_id=person_id)
    if (answer := await _refuse_unless_payable(order)) is not None:
        return answer
    if await _close_wechat_order(pay, order):
        return await _paid_answer(order.id)
    payer = await people.person_summary(person_id)

    async def terms(conn: Any, wallet: charge.LockedWallet) -> charge.ChargeTerms:
        if wallet.closed or not wallet.holder.is_active:
            raise ShopError.WALLET_UNUSABLE.error()
        claimed = (
            await Order.filter(id=order.id, state=OrderState.PENDING, expires_at__gt=at)
            .using_db(conn)
            .update(state=OrderState.PAID, paid_fen=F("total_fen"), pay_method=PayMethod.WALLET, paid_at=at)
        )
        if not claimed:
            if await Payment.filter(order_id=order.id).using_db(conn).exists():
                raise _AlreadyPaid()
            raise ShopError.ORDER_NOT_PENDING.error()
        return charge.ChargeTerms(order.total_fen, subsidy_cap_fen=0)

    try:
        await charge.charge(
            payer,
            at=at,
            terms=terms,
            revenue_account=REVENUE,
            reference=f"shop:{order.order_no}",
            memo="共富食味坊购物",
            extra=lambda _charged: charge.ExtraInsert(
                "shop_payment", _payment_row(order, PayMethod.WALLET, at, transfer_id=charge.TRANSFER_ID)
            ),
            kind=TransferKind.SHOP_PAYMENT,
        )
    except _AlreadyPaid:
        pass
    except charge.ChargeRefused as refused:
        if refused.reason == charge.ChargeRefusal.INSUFFICIENT_BALANCE:
            raise ShopError.WALLET_SHORT.error(amount=format_yuan(order.total_fen)) from None
        raise ShopError.WALLET_UNUSABLE.error() from None
    return await _paid_answer(order.id)


async def pay_with_wechat(pay: WeChatPay | None, person_id: int, order_no: str, at: datetime) -> dict:
    """The parameters of `wx.requestPayment` for a pending order (asking again gives the same
    WeChat Pay order); a paid order answers its payment instead."""
    if pay is None:
        raise ShopError.WECHATPAY_NOT_CONFIGURED.error()
    order = await orders.find_order(order_no, person_id=person_id)
    if (answer := await _refuse_unless_payable(order)) is not None:
        return {"payment": answer, "request_payment": None}
    if order.expires_at <= at:
        raise ShopError.ORDER_NOT_PENDING.error()
    openid = await people.wechat_openid_of(person_id)
    if not openid:
        raise ShopError.WECHAT_NOT_BOUND.error()
    out_trade_no = out_trade_no_of(order.order_no)
    # Written before WeChat Pay hears of it, so a notification always finds its order.
    if not await Order.filter(id=order.id, state=OrderState.PENDING).update(out_trade_no=out_trade_no):
        return {"payment": await _refuse_unless_payable(await Order.get(id=order.id)), "request_payment": None}
    try:
        # WeChat Pay takes no money after the stock hold ends.
        params = await pay.create_jsapi_order(
            out_trade_no, order.total_fen, "共富食味坊订单", openid, time_expire=order.expires_at
        )
    except WeChatPayError as exc:
        log.warning("shop JSAPI order failed", extra={"out_trade_no": out_trade_no, "error": str(exc)})
        raise ShopError.WECHATPAY_UNAVAILABLE.error() from exc
    return {"payment": payment_view(order, None), "request_payment": params}


async def apply_notice(notice: PaymentNotice) -> str:
    """Book the payment a verified answer reports, once; what happened, in one word. A paid
    notice for an order cancelled meanwhile is booked and its whole refund opened (sent to
    WeChat Pay by the refund job, `refunds.query_processing`)."""
    if not notice.paid:
        return "not_paid"
    order = await Order.get_or_none(out_trade_no=notice.out_trade_no)
    if order is None:
        log.error("payment notice for an unknown shop order", extra={"out_trade_no": notice.out_trade_no})
        return "unknown_order"
    if notice.amount_fen != order.total_fen:
        log.error(
            "payment notice amount differs from the shop order: not booked",
            extra={"out_trade_no": notice.out_trade_no, "order_fen": order.total_fen, "notice_fen": notice.amount_fen},
        )
        return "amount_mismatch"
    paid_at = notice.success_time or now()
    booked = {"paid_fen": F("total_fen"), "pay_method": PayMethod.WECHAT, "paid_at": paid_at}
    async with in_transaction() as conn:
        # Booked even after the order's time ran out: the cadre paid while it was open.
        if (
            await Order.filter(id=order.id, state=OrderState.PENDING)
            .using_db(conn)
            .update(state=OrderState.PAID, **booked)
        ):
            result = "paid"
        elif await Order.filter(id=order.id, state=OrderState.CANCELLED, paid_fen=0).using_db(conn).update(**booked):
            result = "paid_after_cancel"
        else:
            existing = await Payment.get_or_none(order_id=order.id).using_db(conn)
            if existing is None or existing.transaction_id != notice.transaction_id:
                # Cannot happen while the wallet closes the WeChat order before paying; if it
                # does, the money is WeChat Pay's to return and finance must see it.
                log.error(
                    "shop order paid twice: refund the WeChat Pay payment by hand",
                    extra={"out_trade_no": notice.out_trade_no, "transaction_id": notice.transaction_id},
                )
                return "paid_twice"
            return "already_paid"
        transfer_id = await ledger.post(
            conn,
            TransferKind.SHOP_PAYMENT,
            [(ledger.WECHATPAY_CLEARING, -order.total_fen), (REVENUE, order.total_fen)],
            at=paid_at,
            reference=f"shop:{order.order_no}",
            memo="共富食味坊购物（微信支付）",
        )
        await Payment.create(
            order_id=order.id,
            method=PayMethod.WECHAT,
            amount_fen=order.total_fen,
            transfer_id=transfer_id,
            transaction_id=notice.transaction_id,
            paid_at=paid_at,
            using_db=conn,
        )
        if result == "paid_after_cancel":
            await refunds.refund_whole(conn, order.id, PAID_AFTER_CANCEL, refunds.SYSTEM, None, now())
    return result


async def query_pending(pay: WeChatPay | None, at: datetime) -> dict[str, int]:
    """Ask WeChat Pay about orders sent to it whose notification never came (pending, or
    cancelled meanwhile and still unpaid here). Safe to run twice: booking is conditional."""
    outcome: dict[str, int] = {}
    if pay is None:
        return outcome
    asked = (
        await Order.filter(
            out_trade_no__not_isnull=True,
            state__in=[OrderState.PENDING, OrderState.CANCELLED],
            paid_fen=0,
            created_at__lt=at - QUERY_AFTER,
            created_at__gt=at - GIVE_UP_AFTER,
        )
        .order_by("id")
        .limit(500)
    )
    for order in asked:
        try:
            notice = await pay.query_order(order.out_trade_no)
        except WeChatPayError as exc:
            log.warning("shop payment query failed", extra={"out_trade_no": order.out_trade_no, "error": str(exc)})
            result = "query_failed"
        else:
            result = await apply_notice(notice) if notice else "not_found"
        outcome[result] = outcome.get(result, 0) + 1
    return outcome
