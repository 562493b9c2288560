"""Refunds of shop orders: per line and quantity at the line's price, never more than what is
left of the line; the cadre asks and staff decide, or staff refund at once (once per form);
the money goes back where it came from (the wallet at once, WeChat Pay by its refund API and
notification); the goods go back on the shelf only if never handed over; the order waits in
退款中 meanwhile and returns to where it was, or to 已退款 when nothing is left."""

from datetime import timedelta

import pytest

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from backend.notices.models import Notice
from backend.shop.models import Order, OrderLine, OrderState, Refund, RefundState, Sku, StockMove, StockReason
from backend.shop.service import refunds
from backend.shop.service.notices import render_order
from tests.fixtures.shop import make_order
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.shop_money import (
    assert_shop_books_clean,
    cash_of,
    notify,
    notify_refund,
    paid_by_wallet,
    wechat_order,
)

STAFF = Actor(admin_id=None, name="食味坊值班员")


async def line_of(order: Order, sku) -> OrderLine:
    return await OrderLine.get(order_id=order.id, sku_id=sku.id)


async def stock_of(sku) -> int:
    return (await Sku.get(id=sku.id)).stock


async def test_a_cadres_request_waits_for_staff_and_approval_pays_back_to_the_wallet(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2), (shop_world.tea, 1)]))
    apple = await line_of(order, shop_world.apple)
    asked = await refunds.request(shop_world.cadre_id, order.order_no, apple.id, 1, "一箱有磕碰", now())
    assert (asked["state_label"], asked["amount_fen"], asked["requested_by"]) == ("待审核", 6_800, "张伟")
    assert asked["refund_no"].startswith("SR")
    assert (await Order.get(id=order.id)).state == OrderState.REFUNDING
    done = await refunds.decide(STAFF, asked["refund_no"], True, "同意", runtime.wechatpay, now())
    assert (done["state_label"], done["decided_by"]) == ("已退款", "食味坊值班员")
    order = await Order.get(id=order.id)
    assert (order.state, order.refunded_fen) == (OrderState.PAID, 6_800)
    assert await cash_of(shop_world.cadre_id) == 50_000 - 25_600 + 6_800
    apple = await OrderLine.get(id=apple.id)
    assert (apple.refunded_quantity, apple.refunded_fen) == (1, 6_800)
    assert await stock_of(shop_world.apple) == 48 + 1  # never handed over: back on the shelf
    assert await StockMove.filter(reason=StockReason.RESTOCK, order_id=order.id).count() == 1
    assert await AuditEntry.filter(action="shop.approve_refund", object_type="refund").count() == 1
    await assert_shop_books_clean()


async def test_a_rejected_request_returns_the_order_to_where_it_was(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.tea, 1)]))
    await Order.filter(id=order.id).update(state=OrderState.READY)
    asked = await refunds.request(
        shop_world.cadre_id, order.order_no, (await line_of(order, shop_world.tea)).id, 1, "不想要了", now()
    )
    done = await refunds.decide(STAFF, asked["refund_no"], False, "已到货，不予退款", runtime.wechatpay, now())
    assert (done["state_label"], done["decision_note"]) == ("已拒绝", "已到货，不予退款")
    assert (await Order.get(id=order.id)).state == OrderState.READY
    assert await cash_of(shop_world.cadre_id) == 50_000 - 12_000
    with pytest.raises(AppError) as again:
        await refunds.decide(STAFF, asked["refund_no"], True, "", runtime.wechatpay, now())
    assert again.value.code == "shop.refund_decided"
    assert await AuditEntry.filter(action="shop.reject_refund").count() == 1


async def test_a_refund_can_never_exceed_what_is_left_of_the_line(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2)]))
    apple = await line_of(order, shop_world.apple)
    first = await refunds.refund_by_staff(
        STAFF, order.order_no, apple.id, 1, "品质问题", runtime.wechatpay, "key-first-0001", now()
    )
    assert first["state_label"] == "已退款" and first["replayed"] is False
    with pytest.raises(AppError) as over:
        await refunds.refund_by_staff(
            STAFF, order.order_no, apple.id, 2, "品质问题", runtime.wechatpay, "key-second-001", now()
        )
    assert over.value.code == "shop.refund_over_line" and "最多还能退 1 件" in over.value.message
    assert (await Order.get(id=order.id)).state == OrderState.PAID
    await assert_shop_books_clean()


async def test_refunding_everything_leaves_the_order_refunded(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 1), (shop_world.tea, 1)]))
    for sku, key in ((shop_world.apple, "key-apple-0001"), (shop_world.tea, "key-tea-000001")):
        line = await line_of(order, sku)
        await refunds.refund_by_staff(STAFF, order.order_no, line.id, 1, "供货方缺货", runtime.wechatpay, key, now())
    order = await Order.get(id=order.id)
    assert (order.state, order.refunded_fen) == (OrderState.REFUNDED, 18_800)
    assert await cash_of(shop_world.cadre_id) == 50_000
    with pytest.raises(AppError) as refused:
        await refunds.request(
            shop_world.cadre_id, order.order_no, (await line_of(order, shop_world.tea)).id, 1, "再退", now()
        )
    assert refused.value.code == "shop.order_not_refundable"
    await assert_shop_books_clean()


async def test_the_same_staff_form_submitted_twice_refunds_once(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2)]))
    apple = await line_of(order, shop_world.apple)
    first = await refunds.refund_by_staff(
        STAFF, order.order_no, apple.id, 1, "品质问题", runtime.wechatpay, "same-form-key1", now()
    )
    again = await refunds.refund_by_staff(
        STAFF, order.order_no, apple.id, 1, "品质问题", runtime.wechatpay, "same-form-key1", now()
    )
    assert again["refund_no"] == first["refund_no"] and again["replayed"] is True
    assert await Refund.all().count() == 1
    entry = await AuditEntry.get(action="shop.refund_line")
    assert entry.after["amount_fen"] == 6_800 and entry.after["product_name"] == "阿克苏冰糖心苹果"


async def test_goods_already_handed_over_do_not_go_back_on_the_shelf(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 1)]))
    await Order.filter(id=order.id).update(state=OrderState.PICKED_UP, picked_up_at=now())
    apple = await line_of(order, shop_world.apple)
    done = await refunds.refund_by_staff(
        STAFF, order.order_no, apple.id, 1, "坏果", runtime.wechatpay, "picked-up-key1", now()
    )
    assert done["restock"] is False and done["state_label"] == "已退款"
    assert await stock_of(shop_world.apple) == 49
    assert (await Order.get(id=order.id)).state == OrderState.REFUNDED
    await assert_shop_books_clean()


async def test_one_open_refund_per_order_at_a_time(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 1), (shop_world.tea, 1)]))
    await refunds.request(
        shop_world.cadre_id, order.order_no, (await line_of(order, shop_world.apple)).id, 1, "磕碰", now()
    )
    with pytest.raises(AppError) as busy:
        await refunds.request(
            shop_world.cadre_id, order.order_no, (await line_of(order, shop_world.tea)).id, 1, "不要了", now()
        )
    assert busy.value.code == "shop.refund_in_progress"


@pytest.mark.parametrize(
    ("quantity", "reason", "code"),
    [(0, "品质问题", "shop.refund_quantity_invalid"), (1, " ", "shop.refund_reason_invalid")],
)
async def test_bad_quantities_and_reasons_are_refused(shop_world, quantity, reason, code):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 1)]))
    with pytest.raises(AppError) as refused:
        await refunds.request(
            shop_world.cadre_id, order.order_no, (await line_of(order, shop_world.apple)).id, quantity, reason, now()
        )
    assert refused.value.code == code


async def test_an_unpaid_order_or_a_line_of_another_order_cannot_be_refunded(shop_world):
    pending = await make_order(shop_world, [(shop_world.apple, 1)])
    paid = await paid_by_wallet(await make_order(shop_world, [(shop_world.tea, 1)]))
    with pytest.raises(AppError) as unpaid:
        await refunds.request(
            shop_world.cadre_id, pending.order_no, (await line_of(pending, shop_world.apple)).id, 1, "不要了", now()
        )
    assert unpaid.value.code == "shop.order_not_refundable"
    with pytest.raises(AppError) as foreign:
        await refunds.request(
            shop_world.cadre_id, paid.order_no, (await line_of(pending, shop_world.apple)).id, 1, "不要了", now()
        )
    assert foreign.value.code == "shop.line_not_found"


async def test_a_wechat_refund_is_asked_for_and_finished_by_its_notification(
    client, wechat, shop_world, runtime, wechatpay
):
    await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.apple, 2)])
    await notify(client, wechatpay, await wechat_order(runtime.wechatpay, order))
    apple = await line_of(order, shop_world.apple)
    done = await refunds.refund_by_staff(
        STAFF, order.order_no, apple.id, 1, "坏果", runtime.wechatpay, "wechat-refund1", now()
    )
    assert done["state_label"] == "退款中" and done["method"] == "wechat"
    asked = wechatpay.state.refunds[done["refund_no"]]
    assert (asked["refund"], asked["total"], asked["out_trade_no"]) == (6_800, 13_600, f"SP{order.order_no}")
    assert (await Order.get(id=order.id)).state == OrderState.REFUNDING
    assert await stock_of(shop_world.apple) == 48  # not until the money is back
    for _ in range(2):
        assert (await notify_refund(client, wechatpay, done["refund_no"])).status_code == 204
    order = await Order.get(id=order.id)
    assert (order.state, order.refunded_fen) == (OrderState.PAID, 6_800)
    assert (await Refund.get(refund_no=done["refund_no"])).state == RefundState.SUCCEEDED
    assert await stock_of(shop_world.apple) == 49
    await assert_shop_books_clean()


async def test_a_wechat_refund_that_wechat_pay_closes_fails_and_the_order_comes_back(
    client, wechat, shop_world, runtime, wechatpay
):
    await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    await notify(client, wechatpay, await wechat_order(runtime.wechatpay, order))
    line = await line_of(order, shop_world.tea)
    done = await refunds.refund_by_staff(
        STAFF, order.order_no, line.id, 1, "缺货", runtime.wechatpay, "closed-refund1", now()
    )
    wechatpay.finish_refund(done["refund_no"], "CLOSED")
    outcome = await refunds.query_processing(runtime.wechatpay, now() + timedelta(seconds=1))
    assert outcome == {"failed": 1}
    order = await Order.get(id=order.id)
    assert (order.state, order.refunded_fen) == (OrderState.PAID, 0)
    assert (await Refund.get(refund_no=done["refund_no"])).state == RefundState.FAILED
    await assert_shop_books_clean()


async def test_a_refund_notice_with_another_amount_is_not_booked(client, wechat, shop_world, runtime, wechatpay):
    await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    await notify(client, wechatpay, await wechat_order(runtime.wechatpay, order))
    line = await line_of(order, shop_world.tea)
    done = await refunds.refund_by_staff(
        STAFF, order.order_no, line.id, 1, "缺货", runtime.wechatpay, "mismatch-key01", now()
    )
    assert (await notify_refund(client, wechatpay, done["refund_no"], refund_fen=12_001)).status_code == 204
    assert (await Refund.get(refund_no=done["refund_no"])).state == RefundState.PROCESSING


async def test_a_wechat_refund_waits_while_wechat_pay_is_down_and_the_job_sends_it(
    client, wechat, shop_world, runtime, wechatpay
):
    await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    await notify(client, wechatpay, await wechat_order(runtime.wechatpay, order))
    line = await line_of(order, shop_world.tea)
    wechatpay.state.busy = True
    done = await refunds.refund_by_staff(
        STAFF, order.order_no, line.id, 1, "缺货", runtime.wechatpay, "busy-refund-01", now()
    )
    assert done["state_label"] == "退款中" and done["refund_no"] not in wechatpay.state.refunds
    wechatpay.state.busy = False
    assert await refunds.query_processing(runtime.wechatpay, now() + timedelta(seconds=1)) == {"processing": 1}
    assert wechatpay.state.refunds[done["refund_no"]]["refund"] == 12_000


async def test_a_wechat_refund_refused_for_a_short_merchant_balance_stays_open_and_is_sent_again(
    client, wechat, shop_world, runtime, wechatpay
):
    await bound_token(client, wechat)
    order = await make_order(shop_world, [(shop_world.tea, 1)])
    await notify(client, wechatpay, await wechat_order(runtime.wechatpay, order))
    line = await line_of(order, shop_world.tea)
    wechatpay.state.balance_short = True
    done = await refunds.refund_by_staff(
        STAFF, order.order_no, line.id, 1, "缺货", runtime.wechatpay, "short-01", now()
    )
    assert done["state_label"] == "退款中"
    wechatpay.state.balance_short = False
    assert await refunds.query_processing(runtime.wechatpay, now() + timedelta(seconds=1)) == {"processing": 1}
    assert wechatpay.state.refunds[done["refund_no"]]["refund"] == 12_000


async def test_the_cadre_is_told_when_a_refund_is_paid_back(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 1), (shop_world.tea, 1)]))
    tea = await line_of(order, shop_world.tea)
    await refunds.refund_by_staff(STAFF, order.order_no, tea.id, 1, "缺货", runtime.wechatpay, "told-01", now())
    told = await Notice.filter(subject_id=order.id).values_list("template", "person_id")
    assert told == [("shop.order", shop_world.cadre_id)]
    message = await render_order(order.id)
    assert (message.data["phrase3"], message.data["thing5"]) == ("部分退款", "已退回 120.00 元")


async def test_refund_whole_refunds_what_is_left_of_every_line(shop_world, runtime):
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2), (shop_world.tea, 1)]))
    apple = await line_of(order, shop_world.apple)
    await refunds.refund_by_staff(
        STAFF, order.order_no, apple.id, 1, "坏果", runtime.wechatpay, "partial-key-01", now()
    )
    await Order.filter(id=order.id).update(state=OrderState.READY)
    opened = await refunds.refund_whole(None, order.id, "逾期未取", refunds.SYSTEM, runtime.wechatpay, now())
    assert [(r["quantity"], r["amount_fen"]) for r in opened] == [(1, 6_800), (1, 12_000)]
    order = await Order.get(id=order.id)
    assert (order.state, order.refunded_fen) == (OrderState.REFUNDED, 25_600)
    assert await cash_of(shop_world.cadre_id) == 50_000
    assert await refunds.refund_whole(None, order.id, "逾期未取", refunds.SYSTEM, runtime.wechatpay, now()) == []
    await assert_shop_books_clean()


async def test_the_mini_program_asks_for_a_refund_and_lists_mine(client, wechat, shop_world):
    token = await bound_token(client, wechat)
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 2)]))
    apple = await line_of(order, shop_world.apple)
    asked = await client.post(
        f"/mp/v1/shop/orders/{order.order_no}/refunds",
        headers=bearer(token),
        json={"line_id": apple.id, "quantity": 3, "reason": "坏了"},
    )
    assert asked.status_code == 409 and asked.json()["error"]["code"] == "shop.refund_over_line"
    asked = await client.post(
        f"/mp/v1/shop/orders/{order.order_no}/refunds",
        headers=bearer(token),
        json={"line_id": apple.id, "quantity": 1, "reason": "坏了一箱"},
    )
    assert asked.status_code == 201, asked.text
    mine = await client.get("/mp/v1/shop/refunds", headers=bearer(token))
    assert [(r["refund_no"], r["state_label"]) for r in mine.json()["items"]] == [(asked.json()["refund_no"], "待审核")]
    others = await make_order(shop_world, [(shop_world.tea, 1)], person_id=shop_world.other_cadre_id)
    foreign = await client.post(
        f"/mp/v1/shop/orders/{others.order_no}/refunds",
        headers=bearer(token),
        json={"line_id": 1, "quantity": 1, "reason": "不是我的"},
    )
    assert foreign.status_code == 404
