"""Handing over under real concurrency on PostgreSQL, over HTTP through the terminals' API: two
terminals scanning one code at once hand the order over once, the other told when and where;
many confirmations at once, forged codes among them, still make one hand-over; an order whose
refund opens at the same moment is either handed over or refunding, never both."""

import asyncio

from backend.core.timeutil import now
from backend.shop.models import Order, OrderState
from backend.shop.service import pickup
from tests.helpers.shop_pickup import CONFIRM, LOOKUP, pickup_terminals, ready_order, signed_post


async def test_two_terminals_scanning_one_code_at_once_hand_it_over_once(
    client, shop_world, runtime, requires_postgres
):
    first, second = await pickup_terminals(runtime.cipher, "T-1", "T-2")
    for _ in range(5):  # a few rounds, so a lucky ordering does not hide a race
        order = await ready_order(shop_world, [(shop_world.tea, 1)])
        qr = pickup.qr_text(order)
        looked = await asyncio.gather(*(signed_post(client, t, LOOKUP, {"code": qr}) for t in (first, second)))
        assert all(r.json()["can_hand_over"] for r in looked)

        answers = await asyncio.gather(
            *(signed_post(client, t, CONFIRM, {"order_no": order.order_no, "code": qr}) for t in (first, second))
        )

        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200, 409], [r.text for r in answers]
        winner = next(r for r in answers if r.status_code == 200).json()
        loser = next(r for r in answers if r.status_code == 409).json()["error"]
        assert loser["code"] == "shop.already_picked_up"
        assert f"在 {winner['picked_up_place']} 取货" in loser["message"]
        stored = await Order.get(id=order.id)
        assert stored.state == OrderState.PICKED_UP and stored.picked_up_place == winner["picked_up_place"]


async def test_many_confirmations_at_once_with_forged_codes_among_them_hand_over_once(
    client, shop_world, runtime, requires_postgres
):
    terminals = await pickup_terminals(runtime.cipher, "T-1", "T-2")
    order = await ready_order(shop_world)
    forged = "00000000" if order.pickup_code != "00000000" else "11111111"
    bodies = [{"order_no": order.order_no, "code": order.pickup_code}] * 16 + [
        {"order_no": order.order_no, "code": forged}
    ] * 4

    answers = await asyncio.gather(
        *(signed_post(client, terminals[i % 2], CONFIRM, body) for i, body in enumerate(bodies))
    )

    codes = [r.json()["error"]["code"] if r.status_code != 200 else "handed" for r in answers]
    assert codes.count("handed") == 1
    assert codes.count("shop.pickup_code_unknown") == 4
    assert codes.count("shop.already_picked_up") == 15
    reused = await signed_post(client, terminals[0], CONFIRM, {"order_no": order.order_no, "code": order.pickup_code})
    assert reused.json()["error"]["code"] == "shop.already_picked_up"


async def test_a_refund_opening_while_a_terminal_confirms_leaves_one_or_the_other(
    client, shop_world, runtime, requires_postgres
):
    """The refund's side is the statement `refunds._claim` opens a refund with: one conditional
    update from where the order stands to 退款中, remembering where it was."""
    (terminal,) = await pickup_terminals(runtime.cipher, "T-1")

    async def open_refund(order_id: int) -> bool:
        return bool(
            await Order.filter(id=order_id, state=OrderState.READY).update(
                state=OrderState.REFUNDING, resume_state=OrderState.READY
            )
        )

    for _ in range(10):
        order = await ready_order(shop_world, [(shop_world.tea, 1)])
        answer, refunding = await asyncio.gather(
            signed_post(client, terminal, CONFIRM, {"order_no": order.order_no, "code": order.pickup_code}),
            open_refund(order.id),
        )
        stored = await Order.get(id=order.id)
        if refunding:
            assert answer.status_code == 409 and answer.json()["error"]["code"] == "shop.pickup_refunding"
            assert (stored.state, stored.picked_up_at) == (OrderState.REFUNDING, None)
        else:
            assert answer.status_code == 200
            assert stored.state == OrderState.PICKED_UP and stored.picked_up_at <= now()
