"""Pickup (取货核销): the code and QR a cadre shows, reading it at a canteen terminal or at a
counter, handing an order over once, marking a pickup day's goods arrived (到货), reminding
cadres of orders left unpicked and the rule for orders never collected.

The QR carries `HQSHOP:1:<order number>:<pickup code>`; a counter without a scanner types the
8-digit code alone. Both name the order only together with its code, so a guessed order number
is not enough. Handing over is one conditional UPDATE from 待取货 to 已取货: of two terminals
scanning one code at once, exactly one hands the goods over and the other is told when and
where that happened. An order with a refund under way (退款中) is never in 待取货, so it cannot
be handed over until the refund is done."""

from __future__ import annotations

import hmac
import io
import logging
import re
from datetime import date, datetime, timedelta
from typing import Any

import qrcode
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.canteen.service.payments import display_name
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from backend.shop.config import ShopSettings, UnpickedAction
from backend.shop.errors import ShopError
from backend.shop.models import Cycle, CycleItem, Order, OrderLine, OrderState
from backend.shop.service import notices, orders, refunds

log = logging.getLogger("houqin.shop")

QR_PREFIX = "HQSHOP"
QR_VERSION = "1"
CODE = re.compile(r"\d{8}")
# Payment codes and card numbers are 16 digits or more; fewer is a pickup code mistyped.
MISTYPED_DIGITS = 16
# A QR from another system is told apart from a damaged one of ours by its first field.
_OUR_QR = re.compile(rf"{QR_PREFIX}:{QR_VERSION}:([A-Z0-9]{{1,32}}):(\d{{8}})")
# Orders that have a pickup code worth showing: paid and not yet refunded whole.
SHOWS_CODE = frozenset({OrderState.PAID, OrderState.READY, OrderState.PICKED_UP, OrderState.REFUNDING})


def qr_text(order: Order) -> str:
    """What the order's pickup QR encodes."""
    return f"{QR_PREFIX}:{QR_VERSION}:{order.order_no}:{order.pickup_code}"


def qr_png(text: str) -> bytes:
    image = qrcode.make(text, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def pickup_qr(person_id: int, order_no: str) -> bytes:
    """The PNG of the cadre's own order's pickup QR; none for an order not paid (or refunded
    whole), whose code would only be refused at the counter."""
    order = await orders.find_order(order_no, person_id=person_id)
    if order.state not in SHOWS_CODE:
        raise ShopError.PICKUP_QR_UNAVAILABLE.error(state=order.state.label)
    return qr_png(qr_text(order))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _read(text: str) -> tuple[str | None, str]:
    """(order number or None, pickup code) of what was read: our QR, or the code typed alone.
    A string of a few digits is a mistyped code; anything else not ours is another system's
    code (a payment code, a card, a web link), so staff are told to ask for the right one."""
    text = (text or "").strip()
    if CODE.fullmatch(text):
        return None, text
    if text.upper().startswith(f"{QR_PREFIX}:"):
        match = _OUR_QR.fullmatch(text)
        if match is None:
            raise ShopError.PICKUP_CODE_INVALID.error()
        return match.group(1), match.group(2)
    if not text or (text.isdigit() and len(text) < MISTYPED_DIGITS):
        raise ShopError.PICKUP_CODE_INVALID.error()
    raise ShopError.PICKUP_CODE_FOREIGN.error()


def code_of(text: str) -> str:
    """The 8-digit pickup code in what was read: the code typed alone, or the one in our QR."""
    return _read(text)[1]


async def _order_of(text: str) -> Order:
    """The order a scanned QR or a typed code names; anything else refused in words."""
    order_no, code = _read(text)
    if order_no is not None:
        return await _checked(order_no, code)
    order = await Order.get_or_none(pickup_code=code)
    if order is None:
        raise ShopError.PICKUP_CODE_UNKNOWN.error()
    return order


async def _checked(order_no: str, code: str) -> Order:
    """The order `order_no` if `code` is its pickup code: a forged QR (a real order number with
    a made-up code) is refused like an unknown code, saying nothing of the order."""
    order = await Order.get_or_none(order_no=order_no)
    if order is None or not _same(code, order.pickup_code):
        raise ShopError.PICKUP_CODE_UNKNOWN.error()
    return order


def _moment(value: datetime | None) -> str:
    return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def picked_up_words(order: Order) -> str:
    """ "已于 … 在 … 取货" for an order handed over."""
    return ShopError.ALREADY_PICKED_UP.message.format(at=_moment(order.picked_up_at), place=order.picked_up_place)


def _refusal(order: Order) -> str:
    """Why the order cannot be handed over now ("" when it can)."""
    if order.state == OrderState.READY:
        return ""
    if order.state == OrderState.PICKED_UP:
        return picked_up_words(order)
    if order.state == OrderState.REFUNDING:
        return ShopError.PICKUP_REFUNDING.message
    if order.state == OrderState.PAID:
        return ShopError.PICKUP_NOT_READY.message
    return ShopError.PICKUP_NOT_ALLOWED.message.format(state=order.state.label)


async def pickup_view(order: Order) -> dict:
    """What the counter sees of an order: its lines (what is still to hand over, net of refunds),
    the cadre's masked name, its state, and when and where it was picked up."""
    lines = await OrderLine.filter(order_id=order.id).order_by("id")
    name = await people.person_name(order.person_id)
    refusal = _refusal(order)
    return {
        "order_no": order.order_no,
        "state": order.state.value,
        "state_label": order.state.label,
        "person_name": display_name(name),
        "pickup_day": order.pickup_day.isoformat(),
        "pickup_place": order.pickup_place,
        "lines": [
            {
                "product_name": line.product_name,
                "spec": line.spec,
                "quantity": line.quantity - line.refunded_quantity,
                "refunded_quantity": line.refunded_quantity,
            }
            for line in lines
            if line.quantity > line.refunded_quantity
        ],
        "total_fen": order.total_fen,
        "refunded_fen": order.refunded_fen,
        "picked_up_at": order.picked_up_at.isoformat() if order.picked_up_at else None,
        "picked_up_place": order.picked_up_place,
        "can_hand_over": not refusal,
        "refusal": refusal,
    }


async def lookup(text: str) -> dict:
    """The order behind a scanned QR or a typed 8-digit code, as `pickup_view` shows it."""
    return await pickup_view(await _order_of(text))


async def hand_over(order_no: str, code: str, place: str, by: str, at: datetime, *, actor: Actor | None = None) -> dict:
    """Hand the order over: 待取货 → 已取货 once, recording when, where (`place`: the terminal
    and its canteen, or the counter) and by whom. The loser of two scans at once, and any later
    scan, is told when and where it was picked up. `actor`: the console admin, whose hand-over
    is audited (a terminal's is recorded on the order itself)."""
    order = await _checked(order_no, code)
    async with in_transaction() as conn:
        handed = (
            await Order.filter(id=order.id, state=OrderState.READY)
            .using_db(conn)
            .update(state=OrderState.PICKED_UP, picked_up_at=at, picked_up_by=by[:100], picked_up_place=place[:100])
        )
        if handed and actor is not None:
            await record(
                conn,
                actor,
                "shop.hand_over_order",
                "order",
                order.id,
                {"state": OrderState.READY.value},
                {"state": OrderState.PICKED_UP.value, "picked_up_place": place[:100]},
            )
    await order.refresh_from_db()
    if not handed:
        if order.state == OrderState.PICKED_UP:
            raise ShopError.ALREADY_PICKED_UP.error(at=_moment(order.picked_up_at), place=order.picked_up_place)
        if order.state == OrderState.REFUNDING:
            raise ShopError.PICKUP_REFUNDING.error()
        if order.state == OrderState.PAID:
            raise ShopError.PICKUP_NOT_READY.error()
        raise ShopError.PICKUP_NOT_ALLOWED.error(state=order.state.label)
    return await pickup_view(order)


async def pickup_days(cycle: Cycle) -> list[date]:
    """The cycle's pickup days, with those of its pre-sale batches and any day its orders still
    wait for (a day staff moved or removed after orders were placed keeps its orders' day)."""
    days = {date.fromisoformat(d) for d in cycle.pickup_days}
    days |= set(
        await CycleItem.filter(cycle_id=cycle.id, pickup_day__not_isnull=True).values_list("pickup_day", flat=True)
    )
    days |= set(
        await Order.filter(cycle_id=cycle.id, state__in=(OrderState.PAID, OrderState.READY))
        .distinct()
        .values_list("pickup_day", flat=True)
    )
    return sorted(days)


async def mark_ready(actor: Actor, cycle_id: int, pickup_day: date, at: datetime) -> int:
    """到货: every paid order of the cycle picked up on `pickup_day` becomes 待取货 and its cadre
    is notified. Each order moves by its own conditional UPDATE (one paying at that moment is left
    as it is); an order with a refund open arrives too, so that it returns to 待取货, not 已支付,
    when its refund leaves something to collect (its cadre hears of the refund then). Run again,
    it moves only those paid since. Returns how many were told."""
    cycle = await Cycle.get_or_none(id=cycle_id)
    if cycle is None:
        raise ShopError.CYCLE_NOT_FOUND.error()
    if pickup_day not in await pickup_days(cycle):
        raise ShopError.NOT_A_PICKUP_DAY.error(day=pickup_day.isoformat())
    moved = 0
    async with in_transaction() as conn:
        paid = (
            await Order.filter(cycle_id=cycle_id, pickup_day=pickup_day, state=OrderState.PAID)
            .using_db(conn)
            .order_by("id")
            .values_list("id", "person_id")
        )
        for order_id, person_id in paid:
            if (
                await Order.filter(id=order_id, state=OrderState.PAID)
                .using_db(conn)
                .update(state=OrderState.READY, ready_at=at)
            ):
                await notices.tell_cadre(conn, order_id, person_id, at)
                moved += 1
        await (
            Order.filter(
                cycle_id=cycle_id, pickup_day=pickup_day, state=OrderState.REFUNDING, resume_state=OrderState.PAID
            )
            .using_db(conn)
            .update(resume_state=OrderState.READY, ready_at=at)
        )
        await record(
            conn,
            actor,
            "shop.mark_ready",
            "cycle",
            cycle_id,
            None,
            {"pickup_day": pickup_day.isoformat(), "orders": moved},
        )
    return moved


async def remind_unpicked(at: datetime, settings: ShopSettings) -> int:
    """取货提醒: one notice to each cadre whose order has waited in 待取货 for more than
    SHOP_REMIND_AFTER_HOURS, never twice for the same order. Returns how many were reminded."""
    due = at - timedelta(hours=settings.remind_after_hours)
    reminded = 0
    waiting = (
        await Order.filter(state=OrderState.READY, ready_at__lte=due, reminded_at__isnull=True)
        .order_by("id")
        .values_list("id", "person_id")
    )
    for order_id, person_id in waiting:
        async with in_transaction() as conn:
            if (
                await Order.filter(id=order_id, state=OrderState.READY, reminded_at__isnull=True)
                .using_db(conn)
                .update(reminded_at=at)
            ):
                await notices.tell_cadre(conn, order_id, person_id, at)
                reminded += 1
    return reminded


async def unpicked(at: datetime, settings: ShopSettings) -> list[dict]:
    """Orders still 待取货 SHOP_UNPICKED_DAYS after their pickup day, oldest first."""
    last_day = at.astimezone(BUSINESS_TZ).date() - timedelta(days=settings.unpicked_days)
    overdue = await Order.filter(state=OrderState.READY, pickup_day__lt=last_day).order_by("pickup_day", "id")
    return [await pickup_view(order) for order in overdue]


async def apply_unpicked_rule(at: datetime, settings: ShopSettings, pay: Any = None) -> dict:
    """The rule for orders never collected (SHOP_UNPICKED_ACTION): KEEP leaves them 待取货 and
    lists them for staff; REFUND refunds each whole to where its money came from (the goods stay
    with the canteen, off the shelf) through `refunds.refund_whole`, which is idempotent per
    order (one open refund at a time), so a second run refunds nothing twice."""
    overdue = await unpicked(at, settings)
    if settings.unpicked_action == UnpickedAction.KEEP:
        return {"action": UnpickedAction.KEEP.value, "kept": [o["order_no"] for o in overdue], "refunded": []}
    refunded = []
    for view in overdue:
        order = await Order.get(order_no=view["order_no"])
        try:
            await refunds.refund_whole(
                None, order.id, "逾期未取货，按规定全额退款", refunds.SYSTEM, pay, at, restock=False
            )
        except AppError as refused:
            # Staff opened a refund of it meanwhile: the next run looks again; the others go on.
            log.warning("unpicked order not refunded", extra={"order_no": order.order_no, "code": refused.code})
            continue
        refunded.append(order.order_no)
    return {"action": UnpickedAction.REFUND.value, "kept": [], "refunded": refunded}


async def day_counts(day: date) -> dict:
    """Today's pickups for the dashboard: orders of `day` waiting (待取货), not yet arrived
    (已支付), and picked up on `day`."""
    start = datetime.combine(day, datetime.min.time(), BUSINESS_TZ)
    return {
        "ready": await Order.filter(pickup_day=day, state=OrderState.READY).count(),
        "paid": await Order.filter(pickup_day=day, state=OrderState.PAID).count(),
        "picked_up": await Order.filter(picked_up_at__gte=start, picked_up_at__lt=start + timedelta(days=1)).count(),
        "overdue": await Order.filter(state=OrderState.READY, pickup_day__lt=day).count(),
    }


async def day_board(day: date) -> dict:
    """The pickup page's list for `day`: the orders of that pickup day that are paid (awaiting
    到货), waiting, picked up or being refunded, with how many are in each of the first three."""
    found = await Order.filter(
        pickup_day=day, state__in=(OrderState.PAID, OrderState.READY, OrderState.PICKED_UP, OrderState.REFUNDING)
    ).order_by("state", "id")
    names = {p.id: display_name(p.name) for p in await people.people_summaries({o.person_id for o in found})}
    rows = [
        {
            "order_no": o.order_no,
            "person_name": names.get(o.person_id, ""),
            "state": o.state.value,
            "state_label": o.state.label,
            "picked_up_at": o.picked_up_at.isoformat() if o.picked_up_at else None,
            "picked_up_place": o.picked_up_place,
        }
        for o in found
    ]
    counts = {state: sum(1 for o in found if o.state == state) for state in OrderState}
    return {
        "day": day.isoformat(),
        "orders": rows,
        "ready": counts[OrderState.READY],
        "paid": counts[OrderState.PAID],
        "picked_up": counts[OrderState.PICKED_UP],
    }


async def arrivals(around: date) -> list[dict]:
    """Per cycle and pickup day within a week of `around`: how many orders are paid and await
    到货, how many are waiting and picked up; the console's 到货 buttons."""
    since = datetime.combine(around - timedelta(days=21), datetime.min.time(), BUSINESS_TZ)
    rows = []
    for cycle in await Cycle.filter(closes_at__gte=since).order_by("opens_at"):
        for day in await pickup_days(cycle):
            if abs((day - around).days) > 7:
                continue
            counts = {
                state: await Order.filter(cycle_id=cycle.id, pickup_day=day, state=state).count()
                for state in (OrderState.PAID, OrderState.READY, OrderState.PICKED_UP)
            }
            rows.append(
                {
                    "cycle_id": cycle.id,
                    "cycle_title": cycle.title,
                    "pickup_day": day.isoformat(),
                    "paid": counts[OrderState.PAID],
                    "ready": counts[OrderState.READY],
                    "picked_up": counts[OrderState.PICKED_UP],
                }
            )
    return sorted(rows, key=lambda r: (r["pickup_day"], r["cycle_id"]))
