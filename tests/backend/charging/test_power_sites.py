"""A site is shared out by one rebalance at a time across workers (a start on one, a stop on the
other), and a lowered site limit is shared out again when asked."""

from __future__ import annotations

import asyncio

from backend.charging.models import Session, Site
from backend.charging.service import power
from backend.charging.service.commands import Action
from tests.helpers.charging_events import settled, start


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
