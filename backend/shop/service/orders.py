"""Cadres' baskets and orders in the produce shop (共富食味坊): the basket of the cycle open now,
placing an order with its stock reserved, cancelling an unpaid order, the time-out of unpaid
orders, and how an order is shown to its cadre and to staff.

Stock is reserved by one guarded decrement per line (`stock >= q`) with its stock-ledger row,
all lines in one transaction: a line that is short rolls the whole order back and names the
product, so nothing is ever oversold and no half order is left holding stock. A cadre's orders in
a cycle queue on their basket's row lock, which is what keeps a per-person limit true when the
same cadre orders twice at once. An order is made once per (cadre, client_ref): a retry, however
many at once, answers the first order.

Every change of an order's state is one conditional UPDATE on its current state, never
read-check-write: a cancel, the time-out and a payment racing for one pending order cannot both
win, and the stock of a cancelled order is released exactly once, in the transaction that
cancelled it."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.functions import Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core import idempotency
from backend.core.errors import AppError
from backend.core.pagination import paginate
from backend.core.timeutil import BUSINESS_TZ
from backend.shop.config import ShopSettings
from backend.shop.errors import ShopError
from backend.shop.models import (
    Basket,
    Cycle,
    CycleItem,
    Order,
    OrderLine,
    OrderState,
    Payment,
    Refund,
    Sku,
    StockMove,
    StockReason,
)
from backend.shop.service import cycles

MOST_PER_LINE = 99
MOST_LINES = 30
# A unique order number or pickup code drawn twice (a one-in-a-hundred-million chance) rolls the
# order back; it is simply drawn again.
PLACE_ATTEMPTS = 5
EXPIRE_BATCH = 500
SYSTEM = "系统"
CANCELLED_BY_CADRE = "下单人取消"
CANCELLED_UNPAID = "超时未支付"
# A closed cycle is "this week's" for a week: after that the shop is simply not open yet.
RECENTLY_CLOSED = timedelta(days=7)
# The states in which the goods are still to be picked up and the pickup code is shown.
AWAITING_PICKUP = (OrderState.PAID, OrderState.READY)


# ---- cycles ------------------------------------------------------------------------------------


async def _ordering_cycle(at: datetime) -> Cycle:
    cycle = await cycles.current(at)
    if cycle is not None:
        return cycle
    if await Cycle.filter(closes_at__lte=at, closes_at__gt=at - RECENTLY_CLOSED).exists():
        raise ShopError.CYCLE_CLOSED.error()
    raise ShopError.NO_OPEN_CYCLE.error()


def _first_pickup_day(cycle: Cycle) -> date:
    return min(date.fromisoformat(day) for day in cycle.pickup_days)


# ---- the lines a cadre asks for ----------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    sku: Sku
    item: CycleItem
    quantity: int

    @property
    def name(self) -> str:
        return _name(self.sku)


def _name(sku: Sku) -> str:
    return f"{sku.product.name}（{sku.spec}）"


def _wanted(lines: list[tuple[int, int]] | dict[int, int]) -> dict[int, int]:
    """SKU id -> quantity, the same SKU asked for twice counted once with both quantities."""
    pairs = lines.items() if isinstance(lines, dict) else lines
    wanted: Counter[int] = Counter()
    for sku_id, quantity in pairs:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise ShopError.QUANTITY_INVALID.error()
        wanted[int(sku_id)] += quantity
    return dict(wanted)


async def _items(conn: Any, cycle: Cycle, sku_ids: list[int]) -> tuple[dict[int, Sku], dict[int, CycleItem]]:
    """The SKUs asked for (with their products) and those of them in the cycle, by SKU id; read
    in one statement when all are in the cycle, as they almost always are."""
    in_cycle = (
        await CycleItem.filter(cycle_id=cycle.id, sku_id__in=sku_ids).using_db(conn).select_related("sku__product")
    )
    items = {i.sku_id: i for i in in_cycle}
    skus = {i.sku_id: i.sku for i in in_cycle}
    if missing := [sku_id for sku_id in sku_ids if sku_id not in skus]:
        skus |= {s.id: s for s in await Sku.filter(id__in=missing).using_db(conn).select_related("product")}
    return skus, items


def _refusal(sku: Sku | None, item: CycleItem | None, at: datetime) -> Exception | None:
    """Why a SKU cannot be ordered in the cycle at `at` (None when it can)."""
    if sku is None:
        return ShopError.SKU_NOT_FOUND.error()
    if item is None:
        return ShopError.NOT_IN_CYCLE.error(name=_name(sku))
    if not sku.on_shelf or not sku.product.is_active:
        return ShopError.OFF_SHELF.error(name=_name(sku))
    if item.presale_cutoff is not None and at >= item.presale_cutoff:
        return ShopError.PRESALE_CLOSED.error(name=_name(sku))
    return None


async def _bought(conn: Any, person_id: int, cycle_id: int, sku_ids: list[int]) -> dict[int, int]:
    """What the cadre has already ordered of each SKU in the cycle, over every order not cancelled."""
    if not sku_ids:
        return {}
    rows = (
        await OrderLine.filter(order__person_id=person_id, order__cycle_id=cycle_id, sku_id__in=sku_ids)
        .exclude(order__state=OrderState.CANCELLED)
        .using_db(conn)
        .annotate(total=Sum("quantity"))
        .group_by("sku_id")
        .values("sku_id", "total")
    )
    return {row["sku_id"]: int(row["total"] or 0) for row in rows}


def _over_limit(sku: Sku, quantity: int, bought: int) -> Exception | None:
    if sku.per_person_limit and bought + quantity > sku.per_person_limit:
        return ShopError.OVER_LIMIT.error(name=_name(sku), limit=sku.per_person_limit, bought=bought)
    return None


async def _checked(conn: Any, person_id: int, cycle: Cycle, wanted: dict[int, int], at: datetime) -> list[_Line]:
    """The lines of an order, each orderable, within the limit, in SKU order (the order their
    stock rows are locked in, so two orders never wait on each other crosswise)."""
    if not wanted:
        raise ShopError.CART_EMPTY.error()
    if len(wanted) > MOST_LINES:
        raise ShopError.CART_FULL.error(most=MOST_LINES)
    if any(not 1 <= q <= MOST_PER_LINE for q in wanted.values()):
        raise ShopError.QUANTITY_INVALID.error()
    sku_ids = sorted(wanted)
    skus, items = await _items(conn, cycle, sku_ids)
    for sku_id in sku_ids:
        if (refusal := _refusal(skus.get(sku_id), items.get(sku_id), at)) is not None:
            raise refusal
        # A line already short is refused before anything is written (in a flash sale most
        # buyers come after the last unit); what grants stock is only the guarded decrement.
        if skus[sku_id].stock < wanted[sku_id]:
            raise ShopError.STOCK_SHORT.error(name=_name(skus[sku_id]))
    limited = [sku_id for sku_id in sku_ids if skus[sku_id].per_person_limit]
    bought = await _bought(conn, person_id, cycle.id, limited)
    for sku_id in limited:
        if (refusal := _over_limit(skus[sku_id], wanted[sku_id], bought.get(sku_id, 0))) is not None:
            raise refusal
    return [_Line(skus[sku_id], items[sku_id], wanted[sku_id]) for sku_id in sku_ids]


# ---- the basket --------------------------------------------------------------------------------


async def _basket_id(person_id: int, cycle_id: int) -> int:
    """The cadre's basket in the cycle, made on first use (two first uses at once make one)."""
    found = await Basket.filter(person_id=person_id, cycle_id=cycle_id).values_list("id", flat=True)
    if found:
        return found[0]
    try:
        return (await Basket.create(person_id=person_id, cycle_id=cycle_id, lines={})).id
    except IntegrityError:
        return (await Basket.get(person_id=person_id, cycle_id=cycle_id)).id


def _basket_lines(basket: Basket | None) -> dict[int, int]:
    return {int(sku_id): int(q) for sku_id, q in (basket.lines if basket else {}).items()}


def _stored(lines: dict[int, int]) -> dict[str, int]:
    return {str(sku_id): q for sku_id, q in sorted(lines.items())}


async def set_line(person_id: int, sku_id: int, quantity: int, at: datetime) -> dict:
    """Put `quantity` of a SKU of the open cycle in the cadre's basket (0 takes it out); the
    basket as `basket` shows it."""
    cycle = await _ordering_cycle(at)
    if not isinstance(quantity, int) or not 0 <= quantity <= MOST_PER_LINE:
        raise ShopError.QUANTITY_INVALID.error()
    if quantity:
        skus, items = await _items(None, cycle, [sku_id])
        if (refusal := _refusal(skus.get(sku_id), items.get(sku_id), at)) is not None:
            raise refusal
        sku = skus[sku_id]
        if sku.per_person_limit:
            bought = (await _bought(None, person_id, cycle.id, [sku_id])).get(sku_id, 0)
            if (refusal := _over_limit(sku, quantity, bought)) is not None:
                raise refusal
    basket_id = await _basket_id(person_id, cycle.id)
    async with in_transaction() as conn:
        basket = await Basket.filter(id=basket_id).using_db(conn).select_for_update().get()
        lines = _basket_lines(basket)
        if quantity:
            if sku_id not in lines and len(lines) >= MOST_LINES:
                raise ShopError.CART_FULL.error(most=MOST_LINES)
            lines[sku_id] = quantity
        else:
            lines.pop(sku_id, None)
        basket.lines = _stored(lines)
        await basket.save(using_db=conn, update_fields=["lines", "updated_at"])
    return await basket_view(person_id, at)


async def basket_view(person_id: int, at: datetime) -> dict:
    """The cadre's basket in the cycle open at `at` (empty when none is open: a basket never
    carries into another cycle), priced by the server, each line saying whether it can still
    be ordered and, if not, why."""
    cycle = await cycles.current(at)
    if cycle is None:
        return {"cycle": None, "lines": [], "total_fen": 0, "orderable": False}
    wanted = _basket_lines(await Basket.get_or_none(person_id=person_id, cycle_id=cycle.id))
    sku_ids = sorted(wanted)
    skus, items = await _items(None, cycle, sku_ids)
    bought = await _bought(None, person_id, cycle.id, [i for i in sku_ids if i in skus and skus[i].per_person_limit])
    lines = []
    for sku_id in sku_ids:
        sku, quantity = skus.get(sku_id), wanted[sku_id]
        if sku is None:
            continue  # a SKU deleted since: nothing left to show or order
        refusal = _refusal(sku, items.get(sku_id), at) or _over_limit(sku, quantity, bought.get(sku_id, 0))
        if refusal is None and sku.stock < quantity:
            refusal = ShopError.STOCK_SHORT.error(name=_name(sku))
        lines.append(
            {
                "sku_id": sku.id,
                "product_id": sku.product_id,
                "product_name": sku.product.name,
                "spec": sku.spec,
                "unit_price_fen": sku.price_fen,
                "quantity": quantity,
                "amount_fen": sku.price_fen * quantity,
                "stock": sku.stock,
                "per_person_limit": sku.per_person_limit,
                "available": refusal is None,
                "problem": getattr(refusal, "message", None),
            }
        )
    return {
        "cycle": {"id": cycle.id, "title": cycle.title, "closes_at": cycle.closes_at},
        "lines": lines,
        "total_fen": sum(line["amount_fen"] for line in lines),
        "orderable": bool(lines) and all(line["available"] for line in lines),
    }


# ---- placing an order --------------------------------------------------------------------------


async def _refuse_lines_already_short(cycle: Cycle, wanted: dict[int, int], at: datetime) -> None:
    """Refuse an order whose line is short already, before anything is locked or written: in a
    flash sale most buyers come after the last unit. Only lines that could otherwise be ordered
    are looked at (any other refusal says more), and only a refusal is read this way: stock is
    granted by the guarded decrement alone."""
    asked = {sku_id: q for sku_id, q in wanted.items() if 1 <= q <= MOST_PER_LINE}
    if not asked:
        return
    orderable = CycleItem.filter(
        Q(presale_cutoff=None) | Q(presale_cutoff__gt=at),
        cycle_id=cycle.id,
        sku_id__in=list(asked),
        sku__on_shelf=True,
        sku__product__is_active=True,
    ).values_list("sku_id", "sku__stock")
    for sku_id, stock in await orderable:
        if stock < asked[sku_id]:
            sku = await Sku.get(id=sku_id).select_related("product")
            raise ShopError.STOCK_SHORT.error(name=_name(sku))


def _order_no(at: datetime) -> str:
    return f"SO{at.astimezone(BUSINESS_TZ):%Y%m%d}{secrets.randbelow(10**8):08d}"


def _pickup_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


async def place(
    person_id: int,
    client_ref: str,
    at: datetime,
    lines: list[tuple[int, int]] | None = None,
    *,
    pay_minutes: int = ShopSettings.pay_minutes,
) -> tuple[dict, bool]:
    """Order the basket of the open cycle, or `lines` ((SKU id, quantity) pairs) when given, at
    the server's prices; the stock is held for `pay_minutes` (SHOP_PAY_MINUTES) until paid. The
    ordered SKUs leave the basket. Returns (the order as its cadre sees it, created): the same
    client_ref from the same cadre answers the first order, created False."""
    try:
        cycle = await _ordering_cycle(at)
        if lines is None:
            found = await Basket.filter(person_id=person_id, cycle_id=cycle.id).values_list("lines", flat=True)
            wanted = _wanted({int(k): q for k, q in found[0].items()} if found else {})
        else:
            wanted = _wanted(lines)
        await _refuse_lines_already_short(cycle, wanted, at)
    except AppError:
        # A retry of an order placed before the cycle closed, or before its goods sold out,
        # still answers that order.
        existing = await Order.get_or_none(person_id=person_id, client_ref=client_ref)
        if existing is None:
            raise
        return await order_view(existing, for_staff=False), False
    basket_id = await _basket_id(person_id, cycle.id)

    async def lock(conn: Any) -> Basket:
        return await Basket.filter(id=basket_id).using_db(conn).select_for_update().get()

    async def placed(conn: Any, basket: Basket) -> tuple[Order, list[OrderLine] | None]:
        in_basket = _basket_lines(basket)
        wanted = _wanted(in_basket if lines is None else lines)
        checked = await _checked(conn, person_id, cycle, wanted, at)
        order = await Order.create(
            order_no=_order_no(at),
            person_id=person_id,
            cycle_id=cycle.id,
            client_ref=client_ref,
            state=OrderState.PENDING,
            total_fen=sum(line.sku.price_fen * line.quantity for line in checked),
            pickup_code=_pickup_code(),
            pickup_day=max(line.item.pickup_day or _first_pickup_day(cycle) for line in checked),
            pickup_place=cycle.pickup_place,
            created_at=at,
            expires_at=at + timedelta(minutes=pay_minutes),
            using_db=conn,
        )
        # One by one, so the answer can be made from them without reading them back.
        made = [
            await OrderLine.create(
                order_id=order.id,
                sku_id=line.sku.id,
                supplier_id=line.sku.product.supplier_id,
                product_name=line.sku.product.name,
                spec=line.sku.spec,
                unit_price_fen=line.sku.price_fen,
                quantity=line.quantity,
                amount_fen=line.sku.price_fen * line.quantity,
                using_db=conn,
            )
            for line in checked
        ]
        if any(line.sku.id in in_basket for line in checked):
            remaining = {k: q for k, q in in_basket.items() if k not in wanted}
            await Basket.filter(id=basket.id).using_db(conn).update(lines=_stored(remaining))
        # Last, so that each SKU's row stays locked only for the rest of this short transaction.
        for line in checked:
            taken = (
                await Sku.filter(id=line.sku.id, stock__gte=line.quantity)
                .using_db(conn)
                .update(stock=F("stock") - line.quantity)
            )
            if not taken:
                raise ShopError.STOCK_SHORT.error(name=line.name)
        await StockMove.bulk_create(
            [
                StockMove(
                    sku_id=line.sku.id,
                    delta=-line.quantity,
                    reason=StockReason.ORDER,
                    order_id=order.id,
                    actor=f"订单 {order.order_no}",
                    at=at,
                )
                for line in checked
            ],
            using_db=conn,
        )
        return order, made

    async def replayed(first: Order) -> tuple[Order, list[OrderLine] | None]:
        return first, None

    for attempt in range(PLACE_ATTEMPTS):
        try:
            order, made = await idempotency.run_once(
                placed,
                find=lambda conn: Order.get_or_none(person_id=person_id, client_ref=client_ref).using_db(conn),
                replay=replayed,
                lock=lock,
            )
            if made is None:
                return await order_view(order, for_staff=False), False
            return _view(order, made, [], {"id": cycle.id, "title": cycle.title}, for_staff=False), True
        except IntegrityError:
            # Not a twin (run_once would have answered it): a number or code drawn twice.
            if attempt == PLACE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# ---- cancelling, the time-out, releasing stock -------------------------------------------------


async def release_stock(conn: Any, order_id: int, reason: StockReason, actor: str, at: datetime) -> None:
    """Put back every line's quantity not yet refunded (a refund that restocked put its own back),
    with its stock-ledger row; called in the transaction whose conditional state change made the
    order give its stock up, so it happens once."""
    lines = await OrderLine.filter(order_id=order_id).using_db(conn).order_by("sku_id", "id")
    moves = []
    for line in lines:
        back = line.quantity - line.refunded_quantity
        if back <= 0:
            continue
        await Sku.filter(id=line.sku_id).using_db(conn).update(stock=F("stock") + back)
        moves.append(StockMove(sku_id=line.sku_id, delta=back, reason=reason, order_id=order_id, actor=actor, at=at))
    if moves:
        await StockMove.bulk_create(moves, using_db=conn)


async def _cancel_pending(conn: Any, order_id: int, reason: str, actor: str, at: datetime, **conditions: Any) -> bool:
    """PENDING → CANCELLED in one conditional UPDATE, its stock released with it; False when the
    order was no longer pending (paid, or cancelled by someone else first)."""
    claimed = (
        await Order.filter(id=order_id, state=OrderState.PENDING, **conditions)
        .using_db(conn)
        .update(state=OrderState.CANCELLED, cancelled_at=at, cancel_reason=reason)
    )
    if claimed:
        await release_stock(conn, order_id, StockReason.RELEASE, actor, at)
    return bool(claimed)


async def cancel(person_id: int, order_no: str, at: datetime) -> dict:
    """The cadre cancels their unpaid order; its stock goes back. Cancelling an order already
    cancelled (by them or by the time-out) answers it as it is; a paid one is refused (a refund
    is asked for instead)."""
    order = await find_order(order_no, person_id=person_id)
    name = await people.person_name(person_id)
    async with in_transaction() as conn:
        cancelled = await _cancel_pending(conn, order.id, CANCELLED_BY_CADRE, name, at)
    current = await Order.get(id=order.id)
    if not cancelled and current.state != OrderState.CANCELLED:
        raise ShopError.ORDER_NOT_CANCELLABLE.error()
    return await order_view(current, for_staff=False)


async def expire_unpaid(at: datetime) -> int:
    """Cancel every order still unpaid past its `expires_at` and release its stock; the number
    cancelled. Each order is claimed by its own conditional UPDATE, so running this twice, or
    twice at once, or while the cadre pays, cancels an order once or not at all."""
    expired = 0
    while True:
        due = (
            await Order.filter(state=OrderState.PENDING, expires_at__lte=at)
            .order_by("expires_at", "id")
            .limit(EXPIRE_BATCH)
            .values_list("id", flat=True)
        )
        for order_id in due:
            async with in_transaction() as conn:
                expired += await _cancel_pending(conn, order_id, CANCELLED_UNPAID, SYSTEM, at, expires_at__lte=at)
        if len(due) < EXPIRE_BATCH:
            return expired


# ---- finding and showing orders ----------------------------------------------------------------


async def find_order(order_no: str, *, person_id: int | None = None) -> Order:
    """The order numbered `order_no`; with `person_id`, only if it is that cadre's (another's
    order is not found, so its existence is not given away)."""
    query = Order.filter(order_no=order_no.strip().upper()[:32])
    if person_id is not None:
        query = query.filter(person_id=person_id)
    order = await query.first()
    if order is None:
        raise ShopError.ORDER_NOT_FOUND.error()
    return order


def _pickup_code_shown(order: Order) -> bool:
    return order.state in AWAITING_PICKUP or (
        order.state == OrderState.REFUNDING and order.resume_state in AWAITING_PICKUP
    )


def refund_summary(refund: Refund, for_staff: bool) -> dict:
    """A refund as it shows under its order: to the cadre, or to staff with who asked for it,
    who decided and whether the goods go back to stock."""
    view = {
        "refund_no": refund.refund_no,
        "line_id": refund.line_id,
        "quantity": refund.quantity,
        "amount_fen": refund.amount_fen,
        "method": refund.method.value,
        "method_label": refund.method.label,
        "state": refund.state.value,
        "state_label": refund.state.label,
        "reason": refund.reason,
        "created_at": refund.created_at,
        "finished_at": refund.finished_at,
    }
    if for_staff:
        view |= {
            "requested_by": refund.requested_by,
            "decided_by": refund.decided_by,
            "decision_note": refund.decision_note,
            "restock": refund.restock,
        }
    return view


async def order_view(order: Order, *, for_staff: bool, conn: Any = None) -> dict:
    """An order with its lines, amounts, payment, refunds and pickup. The cadre sees the pickup
    code while the goods wait for them; staff never see it (the cadre shows it at the counter),
    but see who ordered, who handed over, and the refunds' deciders."""
    lines = await OrderLine.filter(order_id=order.id).using_db(conn).order_by("id")
    refunds = await Refund.filter(order_id=order.id).using_db(conn).order_by("id")
    cycle = await Cycle.filter(id=order.cycle_id).using_db(conn).values("id", "title")
    view = _view(order, lines, refunds, cycle[0] if cycle else None, for_staff=for_staff)
    if for_staff:
        person = await people.person_summary(order.person_id, using_db=conn)
        payment = await Payment.get_or_none(order_id=order.id).using_db(conn)
        view["person"] = {"id": person.id, "name": person.name, "employee_no": person.employee_no}
        view["pickup"]["picked_up_by"] = order.picked_up_by
        view["out_trade_no"] = order.out_trade_no
        view["payment"] = (
            {
                "method": payment.method.value,
                "method_label": payment.method.label,
                "amount_fen": payment.amount_fen,
                "transaction_id": payment.transaction_id,
                "transfer_id": payment.transfer_id,
                "paid_at": payment.paid_at,
            }
            if payment
            else None
        )
    return view


def _view(order: Order, lines: list[OrderLine], refunds: list[Refund], cycle: dict | None, *, for_staff: bool) -> dict:
    return {
        "order_no": order.order_no,
        "state": order.state.value,
        "state_label": order.state.label,
        "resume_state": order.resume_state.value if order.resume_state else None,
        "resume_state_label": order.resume_state.label if order.resume_state else "",
        "cycle": cycle,
        "lines": [
            {
                "id": line.id,
                "sku_id": line.sku_id,
                "product_name": line.product_name,
                "spec": line.spec,
                "unit_price_fen": line.unit_price_fen,
                "quantity": line.quantity,
                "amount_fen": line.amount_fen,
                "refunded_quantity": line.refunded_quantity,
                "refunded_fen": line.refunded_fen,
            }
            for line in lines
        ],
        "total_fen": order.total_fen,
        "paid_fen": order.paid_fen,
        "refunded_fen": order.refunded_fen,
        "pay_method": order.pay_method.value if order.pay_method else None,
        "pay_method_label": order.pay_method.label if order.pay_method else "",
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "paid_at": order.paid_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "can_cancel": order.state == OrderState.PENDING,
        "pickup": {
            "day": order.pickup_day,
            "place": order.pickup_place,
            "code": order.pickup_code if not for_staff and _pickup_code_shown(order) else None,
            "ready_at": order.ready_at,
            "picked_up_at": order.picked_up_at,
            "picked_up_place": order.picked_up_place,
        },
        "refunds": [refund_summary(refund, for_staff) for refund in refunds],
    }


async def my_orders(person_id: int, page: int, page_size: int, state: OrderState | None = None) -> dict:
    """A cadre's own orders, the latest first, optionally only those in `state`."""
    query = Order.filter(person_id=person_id)
    if state is not None:
        query = query.filter(state=state)
    found = await paginate(query, page, page_size, order_by=("-created_at", "-id"))
    return {**found.as_dict(), "items": [await order_view(order, for_staff=False) for order in found.items]}


async def my_order(person_id: int, order_no: str) -> dict:
    return await order_view(await find_order(order_no, person_id=person_id), for_staff=False)


# ---- the console's list ------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    cycle_id: int | None = None
    state: OrderState | None = None
    pickup_day: date | None = None
    person: str = ""  # a name (or part of it) or an employee number
    order_no: str = ""


def orders_query(filters: OrderFilters) -> QuerySet:
    """Orders for the console's list and export, with their cadre, cycle and lines fetched."""
    query = Order.all()
    if filters.cycle_id is not None:
        query = query.filter(cycle_id=filters.cycle_id)
    if filters.state is not None:
        query = query.filter(state=filters.state)
    if filters.pickup_day is not None:
        query = query.filter(pickup_day=filters.pickup_day)
    if person := filters.person.strip():
        query = query.filter(Q(person__name__contains=person) | Q(person__employee_no=person.upper()))
    if order_no := filters.order_no.strip():
        query = query.filter(order_no__contains=order_no.upper())
    return query.select_related("person", "cycle").prefetch_related("lines")


def order_row(order: Order) -> dict:
    """One order as a row of the console's list and of its export."""
    return {
        "id": order.id,
        "order_no": order.order_no,
        "created_at": order.created_at,
        "person_label": f"{order.person.name}（{order.person.employee_no}）",
        "cycle_title": order.cycle.title,
        "goods": "、".join(f"{line.product_name} {line.spec} ×{line.quantity}" for line in order.lines),
        "total_fen": order.total_fen,
        "paid_fen": order.paid_fen,
        "refunded_fen": order.refunded_fen,
        "state": order.state.value,
        "state_label": order.state.label,
        "pay_method_label": order.pay_method.label if order.pay_method else "",
        "pickup_day": order.pickup_day,
        "picked_up_at": order.picked_up_at,
    }


async def cycle_choices() -> list[tuple[str, str]]:
    """(id, title with its opening day) of every cycle, the latest first, for the list's filter."""
    rows = await Cycle.all().order_by("-opens_at").values("id", "title", "opens_at")
    return [(str(r["id"]), f"{r['title']}（{r['opens_at'].astimezone(BUSINESS_TZ):%m月%d日}起）") for r in rows]
