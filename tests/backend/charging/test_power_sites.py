"""A site is shared out by one rebalance at a time across workers (a start on one, a stop on the
other), and a lowered site limit is shared out again when asked."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from backend.charging.models import Command, CommandState, Session, Site
from backend.charging.service import commands, power
from backend.charging.service.commands import Action
from tests.helpers.charging_events import at, settled, start


async def test_a_rebalance_waits_for_the_one_another_worker_holds(charging_world, runtime, sent):
    started = await start(charging_world, runtime, charging_world.card_uid)
    await settled()
    sent.calls.clear()
    await Site.filter(id=charging_world.site.id).update(power_limit_w=4_000)
    key = f"charging:site:{charging_world.site.id}:rebalance"
    await runtime.redis.set(key, "other-worker", px=60_000)
    waiting = asyncio.create_task(power.rebalance(runtime.redis, charging_world.site.id))
    await asyncio.sleep(0.3)
    assert not waiting.done() and sent.calls == []
    await runtime.redis.delete(key)
    assert await asyncio.wait_for(waiting, 5) == {started.transaction_id: 4_000}
    assert [p["limit_w"] for _, p in sent.of(Action.SET_CHARGING_PROFILE)] == [4_000]
    assert (await Session.get(id=started.transaction_id)).limit_w == 4_000
    assert await runtime.redis.get(key) is None  # released


async def test_a_remote_starts_own_limit_caps_its_share(charging_world, runtime, sent):
    when = at(10)
    await Command.create(
        pile=charging_world.pile,
        action=Action.REMOTE_START.value,
        payload=commands.recorded({"connector_id": 1, "id_tag": charging_world.fleet_card, "limit_w": 3_500}),
        state=CommandState.ACCEPTED,
        sent_at=when - timedelta(seconds=5),
        answered_at=when - timedelta(seconds=4),
    )
    capped = await start(charging_world, runtime, charging_world.fleet_card, when=when)
    free = await start(charging_world, runtime, charging_world.card_uid, pile=charging_world.other_pile, when=when)
    await settled()
    limits = dict(await Session.all().values_list("id", "limit_w"))
    assert limits == {capped.transaction_id: 3_500, free.transaction_id: 7_000}
