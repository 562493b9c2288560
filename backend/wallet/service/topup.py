"""Wallet top-up with WeChat Pay (充值): create the order, credit it once from a verified answer.

The wallet is credited only from a payment notification whose signature, timestamp and
encryption check out (see backend.core.wechatpay), or from WeChat Pay's own answer to our order
query, and only when the amount is the order's. Crediting is a conditional pending→paid update
in the same transaction as the ledger transfer, so duplicate notifications credit once.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core.errors import ErrorCode
from backend.core.timeutil import BUSINESS_TZ, now
from backend.core.wechatpay import PaymentNotice, WeChatPay, WeChatPayError
from backend.wallet.errors import WalletError
from backend.wallet.models import TopUpOrder, TopUpStatus, TransferKind
from backend.wallet.service import ledger, wallets

log = logging.getLogger("houqin.topup")

QUERY_AFTER = timedelta(minutes=5)  # WeChat Pay usually notifies within seconds
GIVE_UP_AFTER = timedelta(days=2)


class TopUpError(ErrorCode):
    NOT_CONFIGURED = ("wallet.topup_not_configured", 503, "在线充值暂未开通，请到食堂服务台充值")
    UNAVAILABLE = ("wallet.topup_unavailable", 503, "微信支付暂时无法访问，请稍后再试")
    NOT_FOUND = ("wallet.topup_not_found", 404, "充值订单不存在")
    NOT_BOUND = ("wallet.topup_not_bound", 403, "请先绑定微信后再充值")
    CLIENT_REF_REUSED = ("wallet.topup_client_ref_reused", 409, "这次充值的金额与刚才提交的不同，请重新发起充值")


def topup_view(order: TopUpOrder) -> dict:
    return {
        "out_trade_no": order.out_trade_no,
        "amount_fen": order.amount_fen,
        "status": order.status.value,
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
    }


def _out_trade_no(moment: datetime) -> str:
    return f"TU{moment.astimezone(BUSINESS_TZ):%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"


async def create(pay: WeChatPay | None, person_id: int, amount_fen: int, client_ref: str) -> dict:
    """A pending order and the parameters `wx.requestPayment` needs to pay it. A retry with the
    same `client_ref` gets the same order (placed with WeChat again under its number, which
    WeChat answers with the same prepayment; a paid one comes back without parameters); the key
    used for another amount is refused (wallet.topup_client_ref_reused)."""
    if pay is None:
        raise TopUpError.NOT_CONFIGURED.error()
    openid = await people.wechat_openid_of(person_id)
    if not openid:
        raise TopUpError.NOT_BOUND.error()
    wallet = await wallets.ensure_wallet(person_id)
    async with in_transaction() as conn:
        # Under the wallet's lock, as closing checks for pending orders under it: an order is
        # either seen by a closing (which then refuses) or refused because the wallet is closed.
        # The lock also makes two sends of one tap find one order.
        if (await wallets.lock_wallet(conn, wallet.id)).closed_at is not None:
            raise WalletError.WALLET_CLOSED.error()
        order = await TopUpOrder.get_or_none(person_id=person_id, client_ref=client_ref).using_db(conn)
        if order is None:
            order = await TopUpOrder.create(
                out_trade_no=_out_trade_no(now()),
                person_id=person_id,
                amount_fen=amount_fen,
                client_ref=client_ref,
                using_db=conn,
            )
        elif order.amount_fen != amount_fen:
            raise TopUpError.CLIENT_REF_REUSED.error()
    if order.status not in (TopUpStatus.PENDING, TopUpStatus.CLOSED):
        return {"order": topup_view(order), "request_payment": None}
    try:
        params = await pay.create_jsapi_order(order.out_trade_no, amount_fen, "一卡通充值", openid)
    except WeChatPayError as exc:
        await TopUpOrder.filter(id=order.id, status=TopUpStatus.PENDING).update(status=TopUpStatus.CLOSED)
        raise TopUpError.UNAVAILABLE.error() from exc
    # An order closed when WeChat could not be reached is open again now that WeChat has it.
    if await TopUpOrder.filter(id=order.id, status=TopUpStatus.CLOSED).update(status=TopUpStatus.PENDING):
        order.status = TopUpStatus.PENDING
    return {"order": topup_view(order), "request_payment": params}


async def status(person_id: int, out_trade_no: str) -> dict:
    order = await TopUpOrder.get_or_none(out_trade_no=out_trade_no, person_id=person_id)
    if order is None:
        raise TopUpError.NOT_FOUND.error()
    return topup_view(order)


async def apply_notice(notice: PaymentNotice) -> str:
    """Credit the order a verified answer reports paid; what happened, in one word."""
    if not notice.paid:
        return "not_paid"
    order = await TopUpOrder.get_or_none(out_trade_no=notice.out_trade_no)
    if order is None:
        log.error("payment notice for unknown order", extra={"out_trade_no": notice.out_trade_no})
        return "unknown_order"
    if notice.amount_fen != order.amount_fen:
        await TopUpOrder.filter(id=order.id, status=TopUpStatus.PENDING).update(status=TopUpStatus.AMOUNT_MISMATCH)
        log.error(
            "payment notice amount differs from the order",
            extra={"out_trade_no": order.out_trade_no, "order_fen": order.amount_fen, "notice_fen": notice.amount_fen},
        )
        return "amount_mismatch"
    wallet = await wallets.ensure_wallet(order.person_id)
    async with in_transaction() as conn:
        claimed = (
            await TopUpOrder.filter(id=order.id, status__in=[TopUpStatus.PENDING, TopUpStatus.CLOSED])
            .using_db(conn)
            .update(status=TopUpStatus.PAID, transaction_id=notice.transaction_id, paid_at=notice.success_time or now())
        )
        if not claimed:
            return "already_credited"
        locked = await wallets.lock_wallet(conn, wallet.id)
        if locked.closed_at is not None:
            # The person paid, so the money is theirs and is booked; finance must pay it back.
            log.error(
                "top-up credited to a closed wallet: refund it",
                extra={
                    "out_trade_no": order.out_trade_no,
                    "person_id": order.person_id,
                    "amount_fen": order.amount_fen,
                },
            )
        await wallets.credit(conn, wallet.id, cash=order.amount_fen)
        transfer_id = await ledger.post(
            conn,
            TransferKind.TOPUP,
            [(ledger.WECHATPAY_CLEARING, -order.amount_fen), (ledger.wallet_cash(wallet.id), order.amount_fen)],
            at=now(),
            reference=f"topup:{order.out_trade_no}",
            memo="微信充值",
        )
        await TopUpOrder.filter(id=order.id).using_db(conn).update(transfer_id=transfer_id)
        if locked.overdraft_owed:
            # What an offline payment advanced is paid back first from the new money.
            await wallets.repay_overdraft(
                conn, wallet.id, locked.overdraft_owed, reference=f"topup:{order.out_trade_no}", memo="归还脱机透支"
            )
    return "credited"


async def query_pending(pay: WeChatPay | None, at: datetime) -> dict[str, int]:
    """Ask WeChat Pay about orders whose notification never came; close the long-abandoned.
    Safe to run twice: crediting is conditional."""
    outcome: dict[str, int] = {}
    if pay is None:
        return outcome
    stale = (
        await TopUpOrder.filter(status=TopUpStatus.PENDING, created_at__lt=at - QUERY_AFTER).order_by("id").limit(500)
    )
    for order in stale:
        try:
            notice = await pay.query_order(order.out_trade_no)
        except WeChatPayError as exc:
            log.warning("top-up query failed", extra={"out_trade_no": order.out_trade_no, "error": str(exc)})
            result = "query_failed"
        else:
            result = await apply_notice(notice) if notice else "not_found"
            if result in ("not_paid", "not_found") and order.created_at < at - GIVE_UP_AFTER:
                await TopUpOrder.filter(id=order.id, status=TopUpStatus.PENDING).update(status=TopUpStatus.CLOSED)
                result = "closed"
        outcome[result] = outcome.get(result, 0) + 1
    return outcome
