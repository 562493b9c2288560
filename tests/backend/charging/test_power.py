"""The site's power limit shared among its active sessions: equal shares capped at each pile's
maximum, sent to the piles whose share changed when a session starts or stops, kept once a pile
accepts."""

from __future__ import annotations

from backend.charging.config import ChargingSettings
from backend.charging.models import CommandState, Session, Site
from backend.charging.service import piles, power
from backend.charging.service.commands import Action
from backend.core.audit import CLI_ACTOR
from tests.helpers.charging_events import at, settled, start, stop


def test_shares_are_equal_capped_at_each_piles_maximum_or_its_maximum_without_a_limit():
    assert power.shares(22_000, {1: 7_000, 2: 7_000, 3: 7_000}) == {1: 7_000, 2: 7_000, 3: 7_000}
    assert power.shares(22_000, {1: 7_000, 2: 7_000, 3: 7_000, 4: 7_000}) == {1: 5_500, 2: 5_500, 3: 5_500, 4: 5_500}
    assert power.shares(10_000, {1: 3_000, 2: 60_000, 3: 60_000}) == {1: 3_000, 2: 3_333, 3: 3_333}
    assert power.shares(0, {1: 7_000, 2: 60_000}) == {1: 7_000, 2: 60_000}
    assert power.shares(22_000, {}) == {}


async def test_sessions_starting_and_stopping_reshare_the_site(charging_world, runtime, sent):
    tags = [charging_world.card_uid, charging_world.fleet_card, "0A0B0C0D", "0A0B0C0E"]
    piles = [charging_world.pile, charging_world.pile, charging_world.other_pile, charging_world.other_pile]
    started = []
    for i, (tag, pile) in enumerate(zip(tags, piles, strict=True)):
        started.append(await start(charging_world, runtime, tag, pile=pile, connector=1 + i % 2, when=at(10, i)))
        await settled()
    limits = dict(await Session.all().values_list("id", "limit_w"))
    assert set(limits.values()) == {5_500}
    assert sent.of(Action.SET_CHARGING_PROFILE)[-1][1]["limit_w"] == 5_500
    sent.calls.clear()
    await stop(charging_world, runtime, started[0].transaction_id, 0, at(11))
    await settled()
    changed = sorted(p["transaction_id"] for _, p in sent.of(Action.SET_CHARGING_PROFILE))
    assert changed == sorted(s.transaction_id for s in started[1:])
    assert {p["limit_w"] for _, p in sent.of(Action.SET_CHARGING_PROFILE)} == {7_000}


async def test_a_lowered_site_limit_is_shared_out_at_once(charging_world, runtime, sent):
    for i, tag in enumerate((charging_world.card_uid, charging_world.fleet_card)):
        await start(charging_world, runtime, tag, connector=1 + i, when=at(10, i))
        await settled()
    sent.calls.clear()
    site = charging_world.site
    await piles.update_site(
        CLI_ACTOR,
        site.id,
        site.name,
        site.address,
        site.lat,
        site.lng,
        8,
        redis=runtime.redis,
        settings=ChargingSettings(),
    )
    await settled()
    assert {p["limit_w"] for _, p in sent.of(Action.SET_CHARGING_PROFILE)} == {4_000}
    assert set(await Session.all().values_list("limit_w", flat=True)) == {4_000}


async def test_a_share_the_pile_refuses_is_not_kept(charging_world, runtime, sent):
    sent.state = CommandState.REJECTED
    started = await start(charging_world, runtime, charging_world.card_uid)
    await settled()
    assert (await Session.get(id=started.transaction_id)).limit_w is None
    sent.state = CommandState.ACCEPTED
    assert await power.rebalance(runtime.redis, charging_world.site.id) == {started.transaction_id: 7_000}
    assert (await Session.get(id=started.transaction_id)).limit_w == 7_000
    # unchanged: nothing sent again
    sent.calls.clear()
    await power.rebalance(runtime.redis, charging_world.site.id)
    assert sent.calls == []


async def test_a_site_without_a_limit_lets_each_pile_give_its_most(charging_world, runtime, sent):
    await Site.filter(id=charging_world.site.id).update(power_limit_w=0)
    started = await start(charging_world, runtime, charging_world.card_uid)
    assert await power.rebalance(runtime.redis, charging_world.site.id) == {started.transaction_id: 7_000}
