"""The shop's reports from orders written to the tables and paid (a payment row and its ledger
transfer): the purchase list counts what each supplier must deliver for a pickup day, net of
finished refunds; the settlement report says what each supplier sold, had refunded and is owed;
sales are summed by region of origin and by theme week."""

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from tortoise.transactions import in_transaction

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.timeutil import now, today
from backend.shop.models import Cycle, Order, OrderState, RefundState
from backend.shop.service import reports, settlements
from tests.fixtures.shop import make_order
from tests.helpers.shop_money import line_of, pay, refund

LOCAL = "余杭径山茶农合作社"
PARTNER = "阿克苏红旗坡果业合作社"


def _rows(sheet) -> list[list]:
    """A sheet's rows without the empty cells at their ends."""
    rows = []
    for row in sheet.iter_rows(values_only=True):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


def _listed(suppliers: list[dict]) -> list[tuple]:
    return [(s["supplier"], [(i["product"], i["quantity"], i["orders"]) for i in s["items"]]) for s in suppliers]


async def _week(world):
    """Two paid orders of the world's pickup day and what must not count:
    - 张伟: 2 apples (one refunded) and 1 tea, paid;
    - the other cadre: 1 apple and 2 fish (one asked back, not yet decided), paid and ready;
    - an unpaid order, a cancelled one, a wholly refunded one, and a paid one for another day."""
    w = world
    first = await make_order(w, [(w.apple, 2), (w.tea, 1)])
    await pay(first)
    await refund(first, await line_of(first, w.apple.id), 1)
    second = await make_order(w, [(w.apple, 1), (w.fish, 2)], person_id=w.other_cadre_id)
    await pay(second, state=OrderState.READY)
    await refund(second, await line_of(second, w.fish.id), 1, RefundState.REQUESTED)
    await make_order(w, [(w.tea, 3)])
    await make_order(w, [(w.tea, 1)], state=OrderState.CANCELLED)
    gone = await make_order(w, [(w.tea, 1)], person_id=w.other_cadre_id)
    await pay(gone, state=OrderState.REFUNDED)
    await refund(gone, await line_of(gone, w.tea.id), 1)
    later = await make_order(w, [(w.tea, 2)])
    await Order.filter(id=later.id).update(pickup_day=later.pickup_day + timedelta(days=1))
    await pay(later)
    return first, second


async def test_the_purchase_list_counts_paid_orders_of_the_day_net_of_finished_refunds(shop_world):
    await _week(shop_world)
    day = date.fromisoformat(shop_world.cycle.pickup_days[0])
    assert _listed(await reports.purchase_list(day)) == [
        (LOCAL, [("千岛湖鱼干", 2, 1), ("径山茶", 1, 1)]),
        (PARTNER, [("阿克苏冰糖心苹果", 2, 2)]),
    ]
    assert _listed(await reports.purchase_list(day + timedelta(days=1))) == [(LOCAL, [("径山茶", 2, 1)])]
    assert _listed(await reports.purchase_list(day, shop_world.partner.id)) == [(PARTNER, [("阿克苏冰糖心苹果", 2, 2)])]
    assert await reports.purchase_days(today()) == [day, day + timedelta(days=1)]


async def test_the_purchase_list_exports_one_sheet_per_supplier(shop_world):
    await _week(shop_world)
    day = date.fromisoformat(shop_world.cycle.pickup_days[0])
    book = load_workbook(io.BytesIO(await reports.purchase_workbook(day)))
    assert book.sheetnames == [LOCAL, PARTNER]
    rows = _rows(book[LOCAL])
    assert rows == [
        [f"备货单 · {LOCAL} · 取货日 {day.isoformat()}"],
        ["商品", "规格", "数量", "涉及订单数"],
        ["千岛湖鱼干", "500 g", 2, 1],
        ["径山茶", "250 g", 1, 1],
        ["合计", None, 3, 2],
    ]
    empty = load_workbook(io.BytesIO(await reports.purchase_workbook(day + timedelta(days=9))))
    assert empty.active.max_row == 2  # caption and header: nothing to prepare


async def test_the_settlement_report_deducts_refunds_and_holds_back_open_ones(shop_world):
    w = shop_world
    await _week(w)
    old = await make_order(w, [(w.apple, 1)])
    await pay(old, at=now() - timedelta(days=40), state=OrderState.PICKED_UP)
    rows = {r["supplier"]: r for r in await reports.settlement_report(today() - timedelta(days=6), today())}
    figures = ("sold_fen", "refunded_fen", "refunding_fen", "net_fen", "settled_fen", "owed_fen")
    # Apples: 3 boxes this week, one refunded; the box paid 40 days ago is owed too.
    assert [rows[PARTNER][k] for k in figures] == [20400, 6800, 0, 13600, 0, 20400]
    # Tea 1 + 2 (another day's) + 1 wholly refunded; fish 2, one of them asked back.
    assert [rows[LOCAL][k] for k in figures] == [57000, 12000, 4500, 40500, 0, 40500]
    assert await reports.owed(None, w.partner.id, today() - timedelta(days=30)) == 6800

    await settlements.settle(
        CLI_ACTOR, w.partner.id, today() - timedelta(days=40), today(), 20000, "转账 001", "key-settle-1", now()
    )
    after = {r["supplier"]: r for r in await reports.settlement_report(today() - timedelta(days=6), today())}
    assert (after[PARTNER]["settled_fen"], after[PARTNER]["owed_fen"]) == (20000, 400)
    # A settlement ahead of a period's sales leaves nothing owed through that period's end.
    assert await reports.owed(None, w.partner.id, today() - timedelta(days=30)) == 0


async def test_a_supplier_without_business_is_listed_with_nothing_owed(shop_world):
    rows = await reports.settlement_report(today(), today())
    assert [(r["supplier"], r["sold_fen"], r["owed_fen"]) for r in rows] == [(LOCAL, 0, 0), (PARTNER, 0, 0)]


async def test_sales_are_summed_by_region_of_origin_and_by_theme_week(shop_world):
    w = shop_world
    first, second = await _week(w)
    earlier = await Cycle.create(
        title="千岛湖周",
        region="杭州市淳安县",
        opens_at=w.cycle.opens_at - timedelta(days=7),
        closes_at=w.cycle.opens_at - timedelta(days=4),
        pickup_days=[],
        pickup_place="行政中心一号食堂入口",
    )
    fish = await make_order(w, [(w.fish, 1)], person_id=w.other_cadre_id)
    await Order.filter(id=fish.id).update(cycle_id=earlier.id)
    await pay(fish)
    report = await reports.sales(today(), today())
    regions = [
        (g["name"], g["origin_kind"], g["sold_fen"], g["refunded_fen"], g["orders"], g["buyers"])
        for g in report["regions"]
    ]
    assert regions == [
        ("杭州市余杭区", "本地", 12000 * 4, 12000, 2, 1),  # the wholly refunded tea counts no order
        ("新疆阿克苏地区", "对口协作地区", 6800 * 3, 6800, 2, 2),
        ("杭州市淳安县", "本地", 4500 * 3, 0, 2, 1),
    ]
    weeks = [(g["name"], g["net_fen"], g["orders"], g["buyers"]) for g in report["cycles"]]
    assert weeks == [("千岛湖周", 4500, 1, 1), ("阿克苏周", 12000 * 4 + 6800 * 3 + 9000 - 12000 - 6800, 3, 2)]
    assert (report["total"]["orders"], report["total"]["buyers"]) == (4, 2)
    assert report["total"]["net_fen"] == sum(g["net_fen"] for g in report["regions"])


async def test_sales_export_has_a_sheet_by_region_and_one_by_theme_week(shop_world):
    await _week(shop_world)
    book = load_workbook(io.BytesIO(await reports.sales_workbook(today(), today())))
    assert book.sheetnames == ["按产地", "按主题周"]
    rows = _rows(book["按主题周"])
    assert rows[1] == ["主题周", "地区", "销售额（元）", "已退款（元）", "净销售额（元）", "订单数", "购买人数"]
    assert rows[2][:2] == ["阿克苏周", "新疆阿克苏地区"] and rows[-1][0] == "合计"


async def test_a_reversed_or_too_long_range_is_refused(shop_world):
    for first, last in ((today(), today() - timedelta(days=1)), (today() - timedelta(days=366), today())):
        with pytest.raises(AppError) as refused:
            await reports.sales(first, last)
        assert refused.value.code == "shop.report_range_invalid"


async def test_money_that_came_for_a_cancelled_order_is_owed_to_no_supplier(shop_world):
    order = await make_order(shop_world, [(shop_world.apple, 1)])
    await pay(order, state=OrderState.CANCELLED)  # paid after the time-out released its stock
    async with in_transaction() as conn:
        assert await reports.owed(conn, shop_world.partner.id, today()) == 0
