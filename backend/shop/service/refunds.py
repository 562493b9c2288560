"""Refunds of shop orders (退款): per line and quantity, each with its own refund number (`SR…`),
paid back where the money came from.

A refund is asked by the cadre (待审核, decided by staff), made by staff, or made whole by the
system (a payment that arrived for a cancelled order, the unpicked-order rule). Opening one
moves the order PAID/READY/PICKED_UP → REFUNDING with one conditional UPDATE that keeps the
state it left in `resume_state`, so an order has one open refund at a time (a whole refund is
one row per line, opened together) and cannot be handed over meanwhile; the amount is the
line's unit price × quantity and never more than what is left of the line, counting open
refunds. From the wallet the money goes back at once (cash credited and the voucher from the
shop's revenue, in the transaction that finishes the refund); by WeChat Pay the refund is asked
for (PROCESSING) and finished by WeChat Pay's refund notification or our query. A refund that
succeeds puts its quantity back in stock if the goods were never handed over; when the order's
last open refund finishes it goes back to where it was, or to REFUNDED when nothing is left.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core import sql
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.core.pagination import paginate
from backend.core.timeutil import BUSINESS_TZ, now
from backend.core.wechatpay import RefundNotice, WeChatPay, WeChatPayError, WeChatPayRejected
from backend.shop.errors import ShopError
from backend.shop.models import (
    Order,
    OrderLine,
    OrderState,
    Payment,
    PayMethod,
    Refund,
    RefundState,
    Sku,
    StockMove,
    StockReason,
)
from backend.shop.service import notices, orders
from backend.shop.service.accounts import REVENUE
from backend.wallet.service import ledger, wallets
from backend.wallet.service.ledger import TransferKind

log = logging.getLogger("houqin.shop.refund")

SYSTEM = "系统"
OPEN = (RefundState.REQUESTED, RefundState.PROCESSING)
REFUNDABLE = (OrderState.PAID, OrderState.READY, OrderState.PICKED_UP)
# WeChat Pay's refusals that pass (the merchant's balance short, its own trouble, too many
# requests): the refund stays PROCESSING and the refund job sends it again.
RETRY_LATER = frozenset({"NOT_ENOUGH", "SYSTEM_ERROR", "FREQUENCY_LIMITED"})
REASON_LENGTH = (2, 200)


def refund_view(refund: Refund) -> dict:
    """A refund on its own, as staff see it in the list of refunds: with its order number and
    line (fetched with `order` and `line`), times as ISO text (RefundOut)."""
    return {
        **orders.refund_summary(refund, for_staff=True),
        "order_no": refund.order.order_no,
        "product_name": refund.line.product_name,
        "spec": refund.line.spec,
        "created_at": refund.created_at.isoformat(),
        "finished_at": refund.finished_at.isoformat() if refund.finished_at else None,
    }


async def _view(refund_id: int) -> dict:
    return refund_view(await Refund.get(id=refund_id).prefetch_related("order", "line"))


def _refund_no(at: datetime) -> str:
    return f"SR{at.astimezone(BUSINESS_TZ):%Y%m%d%H%M%S}{secrets.token_hex(4).upper()}"


def _checked(quantity: Any, reason: str) -> str:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise ShopError.REFUND_QUANTITY_INVALID.error()
    reason = (reason or "").strip()
    if not REASON_LENGTH[0] <= len(reason) <= REASON_LENGTH[1]:
        raise ShopError.REFUND_REASON_INVALID.error()
    return reason


async def _left_of(conn: Any, line: OrderLine) -> int:
    """What can still be refunded of a line: neither refunded nor in an open refund. Read
    afresh on `conn`: after the order's claim, what refunds finished meanwhile is counted."""
    refunded = (await OrderLine.get(id=line.id).using_db(conn)).refunded_quantity
    open_quantity = (
        await Refund.filter(line_id=line.id, state__in=OPEN)
        .using_db(conn)
        .annotate(total=Sum("quantity"))
        .first()
        .values_list("total", flat=True)
    )
    return line.quantity - refunded - int(open_quantity or 0)


async def _claim(conn: Any, order: Order) -> Order:
    """The order moved to REFUNDING (the state it left kept in `resume_state`), or refused in
    words. A cancelled order that was paid (the money came after it was cancelled) keeps its
    state: it is refunded whole, once, by the one notice that booked its payment."""
    if order.state == OrderState.CANCELLED and order.paid_fen:
        # No state to claim: the order's row lock queues refunds of it, one open at a time.
        await sql.row(conn, "SELECT id FROM shop_order WHERE id = $1 FOR UPDATE", order.id)
        if await Refund.filter(order_id=order.id, state__in=OPEN).using_db(conn).exists():
            raise ShopError.REFUND_IN_PROGRESS.error()
        return order
    claimed = (
        await Order.filter(id=order.id, state__in=REFUNDABLE)
        .using_db(conn)
        .update(resume_state=F("state"), state=OrderState.REFUNDING)
    )
    if not claimed:
        current = await Order.get(id=order.id).using_db(conn)
        if current.state == OrderState.REFUNDING:
            raise ShopError.REFUND_IN_PROGRESS.error()
        raise ShopError.ORDER_NOT_REFUNDABLE.error()
    return await Order.get(id=order.id).using_db(conn)


async def _open(
    conn: Any,
    order: Order,
    wanted: list[tuple[OrderLine, int]],
    reason: str,
    requested_by: str,
    state: RefundState,
    at: datetime,
    idempotency_key: str | None = None,
    restock: bool = True,
) -> list[Refund]:
    """Claim the order and write one refund per (line, quantity), each within what is left.
    `restock=False` keeps goods that were never handed over off the shelf (produce left
    uncollected for days is not sold again)."""
    claimed = await _claim(conn, order)
    # A settlement computes what a supplier is owed under its row: a refund of its goods takes
    # the same locks (in id order), so the two never pass each other unseen.
    for supplier_id in sorted({line.supplier_id for line, _ in wanted}):
        await sql.row(conn, "SELECT id FROM shop_supplier WHERE id = $1 FOR UPDATE", supplier_id)
    payment = await Payment.get_or_none(order_id=order.id).using_db(conn)
    if payment is None:
        raise ShopError.ORDER_NOT_REFUNDABLE.error()
    # Goods never handed over go back on the shelf; a cancelled order's stock was released already.
    restock = restock and claimed.state == OrderState.REFUNDING and claimed.resume_state != OrderState.PICKED_UP
    opened = []
    for line, quantity in wanted:
        left = await _left_of(conn, line)
        if quantity > left:
            raise ShopError.REFUND_OVER_LINE.error(name=line.product_name, left=left)
        opened.append(
            await Refund.create(
                refund_no=_refund_no(at),
                order_id=order.id,
                line_id=line.id,
                quantity=quantity,
                amount_fen=line.unit_price_fen * quantity,
                method=payment.method,
                state=state,
                reason=reason,
                restock=restock,
                requested_by=requested_by,
                decided_by=requested_by if state == RefundState.PROCESSING else "",
                idempotency_key=idempotency_key,
                created_at=at,
                using_db=conn,
            )
        )
    return opened


async def _line_of(order: Order, line_id: int) -> OrderLine:
    line = await OrderLine.get_or_none(id=line_id, order_id=order.id)
    if line is None:
        raise ShopError.LINE_NOT_FOUND.error()
    return line


async def _restock(conn: Any, refund: Refund, sku_id: int, at: datetime) -> None:
    await Sku.filter(id=sku_id).using_db(conn).update(stock=F("stock") + refund.quantity)
    await StockMove.create(
        sku_id=sku_id,
        delta=refund.quantity,
        reason=StockReason.RESTOCK,
        order_id=refund.order_id,
        actor=refund.decided_by or refund.requested_by,
        note=refund.refund_no,
        at=at,
        using_db=conn,
    )


async def _book(conn: Any, refund: Refund, order: Order, at: datetime) -> int:
    """The money back where it came from: the voucher from the shop's revenue (and, for the
    wallet, the cash credited with it); the voucher's id."""
    memo = f"共富食味坊退款 {refund.refund_no}"
    if refund.method == PayMethod.WALLET:
        wallet = await wallets.ensure_wallet(order.person_id)
        await wallets.credit(conn, wallet.id, cash=refund.amount_fen)
        back_to = ledger.wallet_cash(wallet.id)
    else:
        back_to = ledger.WECHATPAY_CLEARING
    return await ledger.post(
        conn,
        TransferKind.SHOP_REFUND,
        [(REVENUE, -refund.amount_fen), (back_to, refund.amount_fen)],
        at=at,
        reference=f"shop:{refund.refund_no}",
        memo=memo,
    )


async def _settle(conn: Any, order_id: int) -> None:
    """Once an order's last open refund is finished, it leaves REFUNDING: to REFUNDED when
    everything paid was refunded, else back to where it was."""
    if await Refund.filter(order_id=order_id, state__in=OPEN).using_db(conn).exists():
        return
    order = await Order.get(id=order_id).using_db(conn)
    if order.state != OrderState.REFUNDING:
        return
    if order.refunded_fen >= order.paid_fen:
        await Order.filter(id=order_id, state=OrderState.REFUNDING).using_db(conn).update(state=OrderState.REFUNDED)
    else:
        # From the row, not from what was read: an arrival (到货) may have moved resume_state.
        await Order.filter(id=order_id, state=OrderState.REFUNDING).using_db(conn).update(state=F("resume_state"))


async def _finish(
    conn: Any, refund_id: int, succeeded: bool, at: datetime, wechat_refund_id: str | None = None
) -> bool:
    """PROCESSING → SUCCEEDED (money booked, line and order counted, goods restocked) or
    FAILED, once; then the order settles. False when it was finished already."""
    refund = await Refund.get(id=refund_id).using_db(conn)
    # The order's row lock queues the refunds of one order finishing at once, so the last one
    # sees the others finished and settles the order.
    await sql.row(conn, "SELECT id FROM shop_order WHERE id = $1 FOR UPDATE", refund.order_id)
    changes: dict[str, Any] = {"finished_at": at}
    if wechat_refund_id:
        changes["wechat_refund_id"] = wechat_refund_id
    state = RefundState.SUCCEEDED if succeeded else RefundState.FAILED
    if (
        not await Refund.filter(id=refund_id, state=RefundState.PROCESSING)
        .using_db(conn)
        .update(state=state, **changes)
    ):
        return False
    if succeeded:
        order = await Order.get(id=refund.order_id).using_db(conn)
        line = await OrderLine.get(id=refund.line_id).using_db(conn)
        transfer_id = await _book(conn, refund, order, at)
        await Refund.filter(id=refund_id).using_db(conn).update(transfer_id=transfer_id)
        await (
            OrderLine.filter(id=line.id)
            .using_db(conn)
            .update(
                refunded_quantity=F("refunded_quantity") + refund.quantity,
                refunded_fen=F("refunded_fen") + refund.amount_fen,
            )
        )
        await Order.filter(id=order.id).using_db(conn).update(refunded_fen=F("refunded_fen") + refund.amount_fen)
        if refund.restock:
            await _restock(conn, refund, line.sku_id, at)
    await _settle(conn, refund.order_id)
    if succeeded:
        await notices.tell_cadre(conn, refund.order_id, order.person_id, at)
    return True


async def _pay_back(conn: Any, refunds: list[Refund], at: datetime) -> None:
    """Wallet refunds are paid at once, in the transaction that opened them."""
    for refund in refunds:
        if refund.method == PayMethod.WALLET:
            await _finish(conn, refund.id, True, at)


async def _send_all(pay: WeChatPay | None, refunds: list[Refund]) -> None:
    for refund in refunds:
        if refund.method == PayMethod.WECHAT and pay is not None:
            await send(pay, refund.id)


async def send(pay: WeChatPay, refund_id: int) -> str:
    """Ask WeChat Pay for a PROCESSING refund (again: the refund number makes it one refund)
    and apply its answer. Unreachable: it stays PROCESSING for the refund job; refused: FAILED."""
    refund = await Refund.get(id=refund_id).prefetch_related("order")
    payment = await Payment.get(order_id=refund.order_id)
    try:
        answer = await pay.create_refund(
            refund.order.out_trade_no, refund.refund_no, refund.amount_fen, payment.amount_fen, refund.reason
        )
    except WeChatPayRejected as exc:
        if exc.code in RETRY_LATER:
            log.warning("shop refund to be sent again", extra={"refund_no": refund.refund_no, "error": str(exc)})
            return "send_failed"
        log.error("WeChat Pay refused a shop refund", extra={"refund_no": refund.refund_no, "error": str(exc)})
        async with in_transaction() as conn:
            await _finish(conn, refund.id, False, now())
        return "rejected"
    except WeChatPayError as exc:
        log.warning("shop refund not sent yet", extra={"refund_no": refund.refund_no, "error": str(exc)})
        return "send_failed"
    return await apply_refund_notice(answer)


async def request(person_id: int, order_no: str, line_id: int, quantity: int, reason: str, at: datetime) -> dict:
    """A cadre asks for part of a line back (待审核): the order waits in REFUNDING until staff
    decide."""
    reason = _checked(quantity, reason)
    order = await orders.find_order(order_no, person_id=person_id)
    line = await _line_of(order, line_id)
    async with in_transaction() as conn:
        [refund] = await _open(
            conn, order, [(line, quantity)], reason, await people.person_name(person_id), RefundState.REQUESTED, at
        )
    return await _view(refund.id)


async def decide(actor: Actor, refund_no: str, approve: bool, note: str, pay: WeChatPay | None, at: datetime) -> dict:
    """Staff approve (the money goes back) or reject (the order goes back to where it was) a
    cadre's request, once."""
    note = (note or "").strip()[:200]
    refund = await Refund.get_or_none(refund_no=refund_no[:32])
    if refund is None:
        raise ShopError.REFUND_NOT_FOUND.error()
    state = RefundState.PROCESSING if approve else RefundState.REJECTED
    async with in_transaction() as conn:
        decided = (
            await Refund.filter(id=refund.id, state=RefundState.REQUESTED)
            .using_db(conn)
            .update(state=state, decided_by=actor.name, decision_note=note, finished_at=None if approve else at)
        )
        if not decided:
            raise ShopError.REFUND_DECIDED.error()
        await record(
            conn,
            actor,
            "shop.approve_refund" if approve else "shop.reject_refund",
            "refund",
            refund.id,
            {"state": RefundState.REQUESTED.value, "state_label": RefundState.REQUESTED.label},
            {"state": state.value, "state_label": state.label, "amount_fen": refund.amount_fen, "note": note},
        )
        if approve:
            await _pay_back(conn, [refund], at)
        else:
            await _settle(conn, refund.order_id)
    if approve:
        await _send_all(pay, [refund])
    return await _view(refund.id)


async def refund_by_staff(
    actor: Actor,
    order_no: str,
    line_id: int,
    quantity: int,
    reason: str,
    pay: WeChatPay | None,
    idempotency_key: str,
    at: datetime,
) -> dict:
    """Staff refund part of a line (at the counter, a complaint): no request to decide. The same
    form submitted twice (its idempotency key) refunds once and answers the first refund."""
    reason = _checked(quantity, reason)
    if (done := await Refund.get_or_none(idempotency_key=idempotency_key)) is not None:
        return {**await _view(done.id), "replayed": True}
    order = await Order.get_or_none(order_no=order_no.strip()[:32])
    if order is None:
        raise ShopError.ORDER_NOT_FOUND.error()
    line = await _line_of(order, line_id)
    try:
        async with in_transaction() as conn:
            [refund] = await _open(
                conn, order, [(line, quantity)], reason, actor.name, RefundState.PROCESSING, at, idempotency_key
            )
            await record(
                conn,
                actor,
                "shop.refund_line",
                "refund",
                refund.id,
                None,
                {
                    "order_no": order.order_no,
                    "product_name": line.product_name,
                    "quantity": quantity,
                    "amount_fen": refund.amount_fen,
                    "method": refund.method.value,
                    "reason": reason,
                },
            )
            await _pay_back(conn, [refund], at)
    except (IntegrityError, AppError):
        # The same form submitted twice at once: the other submission's refund is the answer.
        if (done := await Refund.get_or_none(idempotency_key=idempotency_key)) is not None:
            return {**await _view(done.id), "replayed": True}
        raise
    await _send_all(pay, [refund])
    return {**await _view(refund.id), "replayed": False}


async def refund_whole(
    conn: Any | None,
    order_id: int,
    reason: str,
    requested_by: str,
    pay: WeChatPay | None,
    at: datetime,
    *,
    restock: bool = True,
) -> list[dict]:
    """Refund everything still left of an order, one refund per line (the unpicked-order rule,
    a payment that came for a cancelled order). On the caller's `conn` when given: WeChat Pay
    refunds are then asked for by the refund job, after the caller commits; without one, in its
    own transaction and asked for at once."""
    if conn is None:
        async with in_transaction() as own:
            opened = await _refund_whole(own, order_id, reason, requested_by, at, restock)
        await _send_all(pay, opened)
    else:
        opened = await _refund_whole(conn, order_id, reason, requested_by, at, restock)
    return [
        {"refund_no": r.refund_no, "line_id": r.line_id, "quantity": r.quantity, "amount_fen": r.amount_fen}
        for r in opened
    ]


async def _refund_whole(
    conn: Any, order_id: int, reason: str, requested_by: str, at: datetime, restock: bool
) -> list[Refund]:
    order = await Order.get(id=order_id).using_db(conn)
    wanted = []
    for line in await OrderLine.filter(order_id=order_id).using_db(conn).order_by("id"):
        if (left := await _left_of(conn, line)) > 0:
            wanted.append((line, left))
    if not wanted:
        return []
    opened = await _open(conn, order, wanted, reason, requested_by, RefundState.PROCESSING, at, restock=restock)
    await _pay_back(conn, opened, at)
    return opened


async def apply_refund_notice(notice: RefundNotice) -> str:
    """Finish the refund a verified answer of WeChat Pay reports, once; what happened, in one
    word. An amount other than ours is logged and not booked."""
    refund = await Refund.get_or_none(refund_no=notice.out_refund_no)
    if refund is None or refund.method != PayMethod.WECHAT:
        log.error("refund notice for an unknown shop refund", extra={"out_refund_no": notice.out_refund_no})
        return "unknown_refund"
    if notice.refund_fen != refund.amount_fen:
        log.error(
            "refund notice amount differs from the shop refund: not booked",
            extra={
                "out_refund_no": notice.out_refund_no,
                "refund_fen": refund.amount_fen,
                "notice_fen": notice.refund_fen,
            },
        )
        return "amount_mismatch"
    if not (notice.succeeded or notice.failed):
        if notice.refund_id and not refund.wechat_refund_id:
            await Refund.filter(id=refund.id).update(wechat_refund_id=notice.refund_id)
        return "processing"
    async with in_transaction() as conn:
        finished = await _finish(conn, refund.id, notice.succeeded, notice.success_time or now(), notice.refund_id)
    if not finished:
        return "already_finished"
    return "refunded" if notice.succeeded else "failed"


async def query_processing(pay: WeChatPay | None, at: datetime) -> dict[str, int]:
    """Ask WeChat Pay about refunds still PROCESSING: those it never heard of (opened with a
    payment that came after the order was cancelled, or not reachable then) are asked for, the
    others finished from its answer. Safe to run twice."""
    outcome: dict[str, int] = {}
    if pay is None:
        return outcome
    waiting = (
        await Refund.filter(state=RefundState.PROCESSING, method=PayMethod.WECHAT, created_at__lt=at)
        .order_by("id")
        .limit(500)
    )
    for refund in waiting:
        try:
            notice = await pay.query_refund(refund.refund_no)
        except WeChatPayError as exc:
            log.warning("shop refund query failed", extra={"refund_no": refund.refund_no, "error": str(exc)})
            result = "query_failed"
        else:
            result = await apply_refund_notice(notice) if notice else await send(pay, refund.id)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


async def my_refunds(person_id: int, page: int, page_size: int) -> dict:
    query = Refund.filter(order__person_id=person_id).prefetch_related("order", "line")
    return (await paginate(query, page, page_size, order_by=("-id",), view=refund_view)).as_dict()


async def list_refunds(state: RefundState | None, order_no: str, page: int, page_size: int) -> dict:
    """The console's list: newest first, by state and order number."""
    query = Refund.all().prefetch_related("order", "line")
    if state is not None:
        query = query.filter(state=state)
    if order_no:
        query = query.filter(order__order_no=order_no.strip()[:32])
    listed = await paginate(query, page, page_size, order_by=("-id",), view=refund_view)
    return listed.as_dict()


async def order_for_refund(order_no: str) -> dict:
    """An order's lines with what is left to refund of each, for the staff refund form."""
    order = await Order.get_or_none(order_no=order_no.strip()[:32])
    if order is None:
        raise ShopError.ORDER_NOT_FOUND.error()
    conn = connections.get("default")
    lines = []
    for line in await OrderLine.filter(order_id=order.id).order_by("id"):
        lines.append(
            {
                "id": line.id,
                "product_name": line.product_name,
                "spec": line.spec,
                "unit_price_fen": line.unit_price_fen,
                "quantity": line.quantity,
                "refunded_quantity": line.refunded_quantity,
                "left": await _left_of(conn, line),
            }
        )
    return {
        "order_no": order.order_no,
        "state": order.state.value,
        "state_label": order.state.label,
        "person_name": await people.person_name(order.person_id),
        "paid_fen": order.paid_fen,
        "refunded_fen": order.refunded_fen,
        "method_label": order.pay_method.label if order.pay_method else "",
        "lines": lines,
    }
