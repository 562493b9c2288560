"""Paying and refunding shop orders in tests, through the shop's own money services, and the
checks every money test ends with: the shop's books (its reconcile) and the ledger's balance."""

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
    Product,
    Sku,
    StockMove,
    StockReason,
    Supplier,
)
from backend.shop.service import payments
from backend.shop.service import reconcile as shop_reconcile
from backend.wallet.models import LedgerEntry, Wallet

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
    problems = await shop_problems()
    assert problems == [], problems


async def cancel_directly(order_id: int, at: datetime) -> bool:
    """What the time-out does to a pending order (orders.expire_unpaid's shape): one conditional
    PENDING → CANCELLED, and only its winner puts each line's stock back with its ledger row,
    in the same transaction. Whether it won."""
    async with in_transaction() as conn:
        won = (
            await Order.filter(id=order_id, state=OrderState.PENDING)
            .using_db(conn)
            .update(state=OrderState.CANCELLED, cancelled_at=at, cancel_reason="超时未支付")
        )
        if not won:
            return False
        for line in await OrderLine.filter(order_id=order_id).using_db(conn):
            await Sku.filter(id=line.sku_id).using_db(conn).update(stock=F("stock") + line.quantity)
            await StockMove.create(
                sku_id=line.sku_id,
                delta=line.quantity,
                reason=StockReason.RELEASE,
                order_id=order_id,
                at=at,
                using_db=conn,
            )
    return True


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
