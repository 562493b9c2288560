"""Theme weeks: a window that closes after it opens, pickup days from the opening day, no two
weeks taking orders at once (also when two are saved at the same moment on PostgreSQL), items
whose pre-sale cut-off and pickup day sit inside the week, and next week cloned 7 days on."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from backend.core.audit import CLI_ACTOR, Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ
from backend.shop.models import Cycle, CycleItem
from backend.shop.service import cycles
from backend.shop.service.cycles import CycleDetails, ItemDetails

MONDAY = datetime(2031, 3, 3, 8, 0, tzinfo=BUSINESS_TZ)


def _week(opens_at: datetime = MONDAY, **changes) -> CycleDetails:
    values = {
        "title": "恩施周",
        "opens_at": opens_at,
        "closes_at": opens_at + timedelta(days=4, hours=12),
        "pickup_days": [opens_at.date() + timedelta(days=5)],
        "pickup_place": "行政中心一号食堂入口",
        "region": "湖北恩施",
        "story": "富硒之乡。",
    }
    return CycleDetails(**{**values, **changes})


async def _refused(code: str, call) -> AppError:
    with pytest.raises(AppError) as refused:
        await call
    assert refused.value.code == code
    return refused.value


async def test_a_week_must_close_after_it_opens_and_last_at_most_a_month(shop_world):
    await _refused("shop.cycle_window_invalid", cycles.create_cycle(CLI_ACTOR, _week(closes_at=MONDAY)))
    await _refused(
        "shop.cycle_window_invalid", cycles.create_cycle(CLI_ACTOR, _week(closes_at=MONDAY - timedelta(hours=1)))
    )
    await _refused("shop.cycle_too_long", cycles.create_cycle(CLI_ACTOR, _week(closes_at=MONDAY + timedelta(days=32))))


async def test_pickup_days_are_one_to_seven_from_the_opening_day_and_within_a_month_of_closing(shop_world):
    day = MONDAY.date()
    await _refused("shop.pickup_days_invalid", cycles.create_cycle(CLI_ACTOR, _week(pickup_days=[])))
    before = [day - timedelta(days=1)]
    await _refused("shop.pickup_days_invalid", cycles.create_cycle(CLI_ACTOR, _week(pickup_days=before)))
    many = [day + timedelta(days=i) for i in range(8)]
    await _refused("shop.pickup_days_invalid", cycles.create_cycle(CLI_ACTOR, _week(pickup_days=many)))
    late = [day + timedelta(days=40)]
    await _refused("shop.pickup_day_too_late", cycles.create_cycle(CLI_ACTOR, _week(pickup_days=late)))
    created = await cycles.create_cycle(CLI_ACTOR, _week(pickup_days=[day + timedelta(days=6), day, day]))
    assert created["pickup_days"] == [day.isoformat(), (day + timedelta(days=6)).isoformat()]
    assert await AuditEntry.exists(action="shop.create_cycle", object_id=str(created["id"]))


async def test_a_week_overlapping_another_weeks_ordering_window_is_refused(shop_world):
    first = await cycles.create_cycle(CLI_ACTOR, _week())
    refused = await _refused(
        "shop.cycle_overlap", cycles.create_cycle(CLI_ACTOR, _week(MONDAY + timedelta(days=4), title="下周"))
    )
    assert "恩施周" in refused.message
    # touching is not overlapping: the next week may open the moment this one closes
    touching = await cycles.create_cycle(CLI_ACTOR, _week(MONDAY + timedelta(days=4, hours=12), title="紧接"))
    # a week edited over itself is fine; moved over its neighbour it is refused
    await cycles.update_cycle(CLI_ACTOR, first["id"], _week(title="恩施周·富硒土豆"))
    moved = _week(MONDAY + timedelta(days=5), title="紧接")
    await _refused("shop.cycle_overlap", cycles.update_cycle(CLI_ACTOR, first["id"], moved))
    assert (await Cycle.get(id=touching["id"])).title == "紧接"


async def test_items_are_sold_once_per_week_with_a_presale_inside_the_week(shop_world):
    week = await cycles.create_cycle(CLI_ACTOR, _week())
    sku = shop_world.fish
    day = MONDAY.date()
    outside = ItemDetails(presale_cutoff=MONDAY + timedelta(days=5), pickup_day=day + timedelta(days=6))
    await _refused("shop.presale_cutoff_invalid", cycles.add_item(CLI_ACTOR, week["id"], sku.id, outside))
    at_opening = ItemDetails(presale_cutoff=MONDAY, pickup_day=day + timedelta(days=6))
    await _refused("shop.presale_cutoff_invalid", cycles.add_item(CLI_ACTOR, week["id"], sku.id, at_opening))
    no_day = ItemDetails(presale_cutoff=MONDAY + timedelta(days=2))
    await _refused("shop.presale_needs_pickup_day", cycles.add_item(CLI_ACTOR, week["id"], sku.id, no_day))
    early = ItemDetails(presale_cutoff=MONDAY + timedelta(days=2), pickup_day=day + timedelta(days=1))
    await _refused("shop.item_pickup_day_invalid", cycles.add_item(CLI_ACTOR, week["id"], sku.id, early))
    late = ItemDetails(pickup_day=day + timedelta(days=40))
    await _refused("shop.pickup_day_too_late", cycles.add_item(CLI_ACTOR, week["id"], sku.id, late))
    presale = ItemDetails(
        featured=True, position=3, presale_cutoff=MONDAY + timedelta(days=2), pickup_day=day + timedelta(days=3)
    )
    added = await cycles.add_item(CLI_ACTOR, week["id"], sku.id, presale)
    assert (added["featured"], added["pickup_day"]) == (True, (day + timedelta(days=3)).isoformat())
    await _refused("shop.item_exists", cycles.add_item(CLI_ACTOR, week["id"], sku.id, ItemDetails()))
    await _refused("shop.sku_not_found", cycles.add_item(CLI_ACTOR, week["id"], 99999, ItemDetails()))
    await _refused("shop.cycle_not_found", cycles.add_item(CLI_ACTOR, 99999, sku.id, ItemDetails()))


async def test_an_item_is_changed_and_removed_with_an_audit_entry_each(shop_world):
    week = await cycles.create_cycle(CLI_ACTOR, _week())
    added = await cycles.add_item(CLI_ACTOR, week["id"], shop_world.tea.id, ItemDetails(position=2))
    changed = await cycles.update_item(CLI_ACTOR, week["id"], added["id"], ItemDetails(featured=True, position=1))
    assert (changed["featured"], changed["position"]) == (True, 1)
    [item] = await cycles.items_of(week["id"])
    assert (item["product_name"], item["spec"], item["featured"]) == ("径山茶", "250 g", True)
    await _refused(
        "shop.item_not_found", cycles.update_item(CLI_ACTOR, shop_world.cycle.id, added["id"], ItemDetails())
    )
    await cycles.remove_item(CLI_ACTOR, week["id"], added["id"])
    assert await cycles.items_of(week["id"]) == []
    actions = await AuditEntry.filter(object_id=str(week["id"]), object_type="cycle").values_list("action", flat=True)
    assert {"shop.add_cycle_item", "shop.update_cycle_item", "shop.remove_cycle_item"} <= set(actions)


async def test_a_week_cannot_be_edited_so_that_a_presale_falls_outside_it(shop_world):
    week = await cycles.create_cycle(CLI_ACTOR, _week())
    cutoff = MONDAY + timedelta(days=3)
    presale = ItemDetails(presale_cutoff=cutoff, pickup_day=MONDAY.date() + timedelta(days=4))
    await cycles.add_item(CLI_ACTOR, week["id"], shop_world.fish.id, presale)
    shorter = _week(closes_at=MONDAY + timedelta(days=2))
    refused = await _refused("shop.item_outside_cycle", cycles.update_cycle(CLI_ACTOR, week["id"], shorter))
    assert "千岛湖鱼干" in refused.message
    assert (await Cycle.get(id=week["id"])).closes_at == MONDAY + timedelta(days=4, hours=12)


async def test_next_week_is_cloned_seven_days_on_with_its_items(shop_world):
    # given this week with a featured item and a pre-sale batch
    source = shop_world.cycle
    # when it is cloned
    clone = await cycles.clone_next(CLI_ACTOR, source.id)
    # then every time and day is a week later and the items came along
    copied = await Cycle.get(id=clone["id"])
    assert copied.opens_at == source.opens_at + timedelta(days=7)
    assert copied.closes_at == source.closes_at + timedelta(days=7)
    assert copied.pickup_days == [(date.fromisoformat(d) + timedelta(days=7)).isoformat() for d in source.pickup_days]
    assert (copied.title, copied.pickup_place, copied.cloned_from_id) == (source.title, source.pickup_place, source.id)
    old = {i.sku_id: i for i in await CycleItem.filter(cycle_id=source.id)}
    new = {i.sku_id: i for i in await CycleItem.filter(cycle_id=copied.id)}
    assert new.keys() == old.keys()
    fish_old, fish_new = old[shop_world.fish.id], new[shop_world.fish.id]
    assert fish_new.presale_cutoff == fish_old.presale_cutoff + timedelta(days=7)
    assert fish_new.pickup_day == fish_old.pickup_day + timedelta(days=7)
    assert new[shop_world.apple.id].featured and new[shop_world.apple.id].position == 1
    assert await AuditEntry.exists(action="shop.clone_cycle", object_id=str(copied.id))
    # and next week is taken now: cloning this week again is refused
    await _refused("shop.cycle_overlap", cycles.clone_next(CLI_ACTOR, source.id))


async def test_the_current_week_is_the_one_taking_orders_and_upcoming_ones_follow(shop_world):
    source = shop_world.cycle
    following = await cycles.clone_next(CLI_ACTOR, source.id)
    assert (await cycles.current(source.opens_at)).id == source.id
    assert await cycles.current(source.closes_at) is None  # closed at its closing time
    assert await cycles.current(source.opens_at - timedelta(seconds=1)) is None
    assert [c.id for c in await cycles.upcoming(source.closes_at)] == [following["id"]]
    assert cycles.status_label(source, source.opens_at - timedelta(minutes=1)) == "未开始"
    assert cycles.status_label(source, source.closes_at) == "已截单"


async def test_two_overlapping_weeks_saved_at_once_make_one(shop_world, requires_postgres):
    starts = [MONDAY + timedelta(hours=i) for i in range(8)]
    results = await asyncio.gather(
        *(
            cycles.create_cycle(Actor(None, f"员工{i}"), replace(_week(s), title=f"第{i}周"))
            for i, s in enumerate(starts)
        ),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(made) == 1 and len(refused) == len(starts) - 1
    assert {r.code for r in refused} == {"shop.cycle_overlap"}
    assert await Cycle.filter(opens_at__gte=MONDAY).count() == 1
