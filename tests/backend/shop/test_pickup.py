"""Pickup (取货核销) rules: what a QR or a typed code finds, handing an order over exactly once
and only from 待取货, marking a pickup day's goods arrived, reminders and the unpicked rule."""

from datetime import date, timedelta

import pytest

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ, now
from backend.notices.models import Notice
from backend.shop.config import ShopSettings, UnpickedAction
from backend.shop.models import Cycle, Order, OrderLine, OrderState, Sku
from backend.shop.service import notices, pickup, refunds
from tests.fixtures.shop import make_order
from tests.helpers.shop_money import assert_shop_books_clean, cash_of, paid_by_wallet
from tests.helpers.shop_pickup import ready_order

PLACE = "第一食堂 T-1 号机"


async def refusal(call) -> AppError:
    with pytest.raises(AppError) as caught:
        await call
    return caught.value


async def test_the_qr_names_the_order_with_its_pickup_code(shop_world):
    order = await ready_order(shop_world)
    assert pickup.qr_text(order) == f"HQSHOP:1:{order.order_no}:{order.pickup_code}"


async def test_a_qr_or_the_typed_code_finds_the_order_with_its_lines_and_the_masked_name(shop_world):
    order = await ready_order(shop_world)
    by_qr = await pickup.lookup(pickup.qr_text(order))
    by_code = await pickup.lookup(f"  {order.pickup_code}\n")
    assert by_qr == by_code
    assert by_qr["person_name"] == "张*"
    assert [(line["product_name"], line["spec"], line["quantity"]) for line in by_qr["lines"]] == [
        ("阿克苏冰糖心苹果", "一箱 5 kg", 1),
        ("径山茶", "250 g", 2),
    ]
    assert (by_qr["state_label"], by_qr["can_hand_over"], by_qr["refusal"]) == ("待取货", True, "")


async def test_the_lines_shown_leave_out_what_was_refunded(shop_world):
    order = await ready_order(shop_world)
    tea = await OrderLine.get(order_id=order.id, sku_id=shop_world.tea.id)
    await OrderLine.filter(id=tea.id).update(refunded_quantity=1, refunded_fen=12000)
    view = await pickup.lookup(order.pickup_code)
    assert [(line["product_name"], line["quantity"], line["refunded_quantity"]) for line in view["lines"]] == [
        ("阿克苏冰糖心苹果", 1, 0),
        ("径山茶", 1, 1),
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "shop.pickup_code_invalid"),
        ("1234567", "shop.pickup_code_invalid"),
        ("HQSHOP:2:SO1:12345678", "shop.pickup_code_invalid"),
        ("https://weixin.qq.com/r/abc", "shop.pickup_code_foreign"),
        ("134567890123456789", "shop.pickup_code_foreign"),  # a WeChat pay code is not a pickup code
        ("99999999", "shop.pickup_code_unknown"),
    ],
)
async def test_another_systems_qr_a_damaged_or_an_unknown_code_is_refused_in_words(shop_world, text, code):
    await ready_order(shop_world)
    error = await refusal(pickup.lookup(text))
    assert error.code == code and error.message


async def test_a_forged_qr_with_a_real_order_number_and_a_made_up_code_is_refused(shop_world):
    order = await ready_order(shop_world)
    forged = "00000000" if order.pickup_code != "00000000" else "11111111"
    error = await refusal(pickup.lookup(f"HQSHOP:1:{order.order_no}:{forged}"))
    assert error.code == "shop.pickup_code_unknown"
    error = await refusal(pickup.hand_over(order.order_no, forged, PLACE, "终端 T-1", now()))
    assert error.code == "shop.pickup_code_unknown"
    assert (await Order.get(id=order.id)).state == OrderState.READY


async def test_an_order_is_handed_over_once_and_a_second_scan_says_when_and_where(shop_world):
    order = await ready_order(shop_world)
    at = now()
    handed = await pickup.hand_over(order.order_no, order.pickup_code, PLACE, "终端 T-1", at)
    assert (handed["state"], handed["can_hand_over"]) == ("picked_up", False)
    stored = await Order.get(id=order.id)
    assert (stored.state, stored.picked_up_place, stored.picked_up_by) == (OrderState.PICKED_UP, PLACE, "终端 T-1")
    assert stored.picked_up_at == at

    again = await refusal(pickup.hand_over(order.order_no, order.pickup_code, "控制台取货核销", "李四", now()))
    assert again.code == "shop.already_picked_up"
    assert again.message == f"该订单已于 {at.astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M} 在 {PLACE} 取货"
    looked_up = await pickup.lookup(pickup.qr_text(order))
    assert looked_up["refusal"] == again.message and looked_up["picked_up_place"] == PLACE
    assert (await Order.get(id=order.id)).picked_up_by == "终端 T-1"


@pytest.mark.parametrize(
    ("state", "code", "words"),
    [
        (OrderState.REFUNDING, "shop.pickup_refunding", "该订单有退款正在办理，办理完成前不能交付"),
        (OrderState.PAID, "shop.pickup_not_ready", "该订单的货品尚未到货，暂不能取货"),
        (OrderState.PENDING, "shop.pickup_not_allowed", "该订单待支付，不能交付"),
        (OrderState.CANCELLED, "shop.pickup_not_allowed", "该订单已取消，不能交付"),
        (OrderState.REFUNDED, "shop.pickup_not_allowed", "该订单已退款，不能交付"),
    ],
)
async def test_only_an_order_waiting_for_pickup_is_handed_over(shop_world, state, code, words):
    order = await make_order(shop_world, [(shop_world.apple, 1)], state=state)
    view = await pickup.lookup(order.pickup_code)
    assert (view["can_hand_over"], view["refusal"]) == (False, words)
    error = await refusal(pickup.hand_over(order.order_no, order.pickup_code, PLACE, "终端 T-1", now()))
    assert (error.code, error.message) == (code, words)
    stored = await Order.get(id=order.id)
    assert (stored.state, stored.picked_up_at) == (state, None)


async def test_a_hand_over_at_the_console_is_audited(shop_world):
    order = await ready_order(shop_world)
    await pickup.hand_over(order.order_no, order.pickup_code, "控制台取货核销", "命令行", now(), actor=CLI_ACTOR)
    entry = await AuditEntry.get(action="shop.hand_over_order")
    assert (entry.object_type, entry.object_id) == ("order", str(order.id))
    assert entry.after == {"state": "picked_up", "picked_up_place": "控制台取货核销"}


async def test_arrival_readies_the_paid_orders_of_that_pickup_day_and_tells_their_cadres(shop_world):
    day = date.fromisoformat(shop_world.cycle.pickup_days[0])
    paid = await make_order(shop_world, [(shop_world.apple, 1)], state=OrderState.PAID)
    other_paid = await make_order(
        shop_world, [(shop_world.tea, 1)], state=OrderState.PAID, person_id=shop_world.other_cadre_id
    )
    pending = await make_order(shop_world, [(shop_world.tea, 1)])
    refunding = await make_order(shop_world, [(shop_world.tea, 1)], state=OrderState.REFUNDING)
    other_day = await make_order(shop_world, [(shop_world.fish, 1)], state=OrderState.PAID)
    await Order.filter(id=other_day.id).update(pickup_day=day + timedelta(days=1))
    at = now()

    assert await pickup.mark_ready(CLI_ACTOR, shop_world.cycle.id, day, at) == 2

    states = {o.id: (o.state, o.ready_at) for o in await Order.all()}
    assert states[paid.id] == states[other_paid.id] == (OrderState.READY, at)
    assert [states[o.id][0] for o in (pending, refunding, other_day)] == [
        OrderState.PENDING,
        OrderState.REFUNDING,
        OrderState.PAID,
    ]
    told = await Notice.all().order_by("id").values_list("template", "person_id", "subject_id")
    assert told == [
        ("shop.order", shop_world.cadre_id, paid.id),
        ("shop.order", shop_world.other_cadre_id, other_paid.id),
    ]
    entry = await AuditEntry.get(action="shop.mark_ready")
    assert entry.after == {"pickup_day": day.isoformat(), "orders": 2}
    # Run again (a second click): nothing more moves, nobody is told twice.
    assert await pickup.mark_ready(CLI_ACTOR, shop_world.cycle.id, day, now()) == 0
    assert await Notice.all().count() == 2


async def test_an_order_with_a_refund_open_at_arrival_returns_to_waiting_for_pickup_when_the_refund_is_refused(
    shop_world,
):
    day = date.fromisoformat(shop_world.cycle.pickup_days[0])
    order = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 1), (shop_world.tea, 1)]))
    line = await OrderLine.get(order_id=order.id, sku_id=shop_world.tea.id)
    asked = await refunds.request(shop_world.cadre_id, order.order_no, line.id, 1, "不想要了", now())

    assert await pickup.mark_ready(CLI_ACTOR, shop_world.cycle.id, day, now()) == 0
    await refunds.decide(CLI_ACTOR, asked["refund_no"], False, "已备货", None, now())

    assert (await Order.get(id=order.id)).state == OrderState.READY
    await assert_shop_books_clean()


async def test_orders_keep_their_pickup_day_for_arrival_after_staff_move_the_cycles_day(shop_world):
    day = date.fromisoformat(shop_world.cycle.pickup_days[0])
    paid = await make_order(shop_world, [(shop_world.tea, 1)], state=OrderState.PAID)
    await Cycle.filter(id=shop_world.cycle.id).update(pickup_days=[(day + timedelta(days=1)).isoformat()])

    assert await pickup.mark_ready(CLI_ACTOR, shop_world.cycle.id, day, now()) == 1
    assert (await Order.get(id=paid.id)).state == OrderState.READY
    assert day.isoformat() in [row["pickup_day"] for row in await pickup.arrivals(day)]


async def test_arrival_on_a_day_that_is_not_a_pickup_day_of_the_cycle_is_refused(shop_world):
    day = date.fromisoformat(shop_world.cycle.pickup_days[0])
    error = await refusal(pickup.mark_ready(CLI_ACTOR, shop_world.cycle.id, day - timedelta(days=1), now()))
    assert (error.code, error.message) == ("shop.not_a_pickup_day", f"{day - timedelta(days=1)} 不是该主题周的取货日")
    missing = await refusal(pickup.mark_ready(CLI_ACTOR, 9999, day, now()))
    assert missing.code == "shop.cycle_not_found"


async def test_a_cadre_is_reminded_once_after_the_set_hours(shop_world):
    settings = ShopSettings(remind_after_hours=24)
    order = await ready_order(shop_world)
    fresh = await ready_order(shop_world, [(shop_world.tea, 1)])
    await Order.filter(id=order.id).update(ready_at=now() - timedelta(hours=25))

    assert await pickup.remind_unpicked(now(), settings) == 1
    assert await pickup.remind_unpicked(now(), settings) == 0
    assert await Notice.filter(subject_id=order.id).count() == 1
    assert await Notice.filter(subject_id=fresh.id).count() == 0
    assert (await Order.get(id=order.id)).reminded_at is not None


async def test_the_keep_rule_lists_orders_left_past_the_set_days_and_changes_nothing(shop_world):
    settings = ShopSettings(unpicked_days=3, unpicked_action=UnpickedAction.KEEP)
    late = await ready_order(shop_world)
    on_time = await ready_order(shop_world, [(shop_world.tea, 1)])
    today = date.fromisoformat(shop_world.cycle.pickup_days[0]) + timedelta(days=4)
    await Order.filter(id=late.id).update(pickup_day=today - timedelta(days=4))
    await Order.filter(id=on_time.id).update(pickup_day=today - timedelta(days=3))
    moment = now().replace(year=today.year, month=today.month, day=today.day, hour=4)

    outcome = await pickup.apply_unpicked_rule(moment, settings)

    assert outcome == {"action": "keep", "kept": [late.order_no], "refunded": []}
    assert {o.state for o in await Order.all()} == {OrderState.READY}


async def test_the_notice_says_arrived_then_reminded_then_refunded(shop_world):
    order = await ready_order(shop_world)
    arrived = await notices.render_order(order.id)
    assert arrived.data == {
        "character_string1": order.order_no,
        "thing2": "阿克苏冰糖心苹果等2件商品",
        "phrase3": "到货待取",
        "time4": shop_world.cycle.pickup_days[0],
        "thing5": "请到行政中心一号食堂入口出示取货码取货",
    }
    assert arrived.page == f"pages/shop/order?no={order.order_no}"
    await Order.filter(id=order.id).update(reminded_at=now())
    assert (await notices.render_order(order.id)).data["phrase3"] == "取货提醒"
    await Order.filter(id=order.id).update(state=OrderState.REFUNDED, refunded_fen=order.total_fen)
    refunded = await notices.render_order(order.id)
    assert (refunded.data["phrase3"], refunded.data["thing5"]) == ("已退款", "已退回 308.00 元")
    assert await notices.render_order(987654) is None


async def test_the_refund_rule_refunds_each_late_order_whole_to_the_wallet_and_keeps_the_goods_off_the_shelf(
    shop_world,
):
    settings = ShopSettings(unpicked_days=3, unpicked_action=UnpickedAction.REFUND)
    late = await paid_by_wallet(await make_order(shop_world, [(shop_world.apple, 1), (shop_world.tea, 2)]))
    picked = await paid_by_wallet(await make_order(shop_world, [(shop_world.tea, 1)]))
    cash_before = await cash_of(shop_world.cadre_id)
    stock_before = {sku.id: (await Sku.get(id=sku.id)).stock for sku in (shop_world.apple, shop_world.tea)}
    today = date.fromisoformat(shop_world.cycle.pickup_days[0]) + timedelta(days=5)
    await Order.filter(id=late.id).update(state=OrderState.READY, pickup_day=today - timedelta(days=5))
    await Order.filter(id=picked.id).update(state=OrderState.PICKED_UP, pickup_day=today - timedelta(days=5))
    moment = now().replace(year=today.year, month=today.month, day=today.day, hour=4)

    outcome = await pickup.apply_unpicked_rule(moment, settings)
    again = await pickup.apply_unpicked_rule(moment, settings)

    assert outcome == {"action": "refund", "kept": [], "refunded": [late.order_no]}
    assert again == {"action": "refund", "kept": [], "refunded": []}
    refunded = await Order.get(id=late.id)
    assert (refunded.state, refunded.refunded_fen) == (OrderState.REFUNDED, late.total_fen)
    assert (await Order.get(id=picked.id)).state == OrderState.PICKED_UP
    assert await cash_of(shop_world.cadre_id) == cash_before + late.total_fen
    assert {sku.id: (await Sku.get(id=sku.id)).stock for sku in (shop_world.apple, shop_world.tea)} == stock_before
    await assert_shop_books_clean()
