"""The host's notice about a visit says how the visit stands when it is sent: a request, a
walk-in waiting, an invitation completed, an arrival, an overstay; nothing once it is over."""

from __future__ import annotations

from datetime import timedelta

from backend.access.config import AccessSettings
from backend.access.models import Visit, VisitState
from backend.access.service import visits
from backend.access.service.notices import render_visit
from backend.core.timeutil import now
from tests.fixtures.access_v import GUARD, draft, id_number, ready_visit

SETTINGS = AccessSettings()


async def _state_word(visit_id: int) -> str | None:
    message = await render_visit(visit_id)
    return None if message is None else message.data["phrase3"]


async def test_the_notice_follows_the_visit_from_invitation_to_overstay(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    message = await render_visit(visit["id"])
    assert message.data["thing2"] == "李*（杭州某某科技）" and message.page == f"pages/access/visit?id={visit['id']}"
    assert message.data["phrase3"] == "访客已登记"

    await Visit.filter(id=visit["id"]).update(state=VisitState.INSIDE, entered_at=at + timedelta(hours=1))
    assert await _state_word(visit["id"]) == "访客已到达"
    await Visit.filter(id=visit["id"]).update(overstay_alerted_at=at + timedelta(hours=6))
    assert await _state_word(visit["id"]) == "超时未离开"
    await Visit.filter(id=visit["id"]).update(state=VisitState.NOT_SIGNED_OUT)
    assert await render_visit(visit["id"]) is None
    assert await render_visit(99999) is None


async def test_a_request_and_a_walk_in_ask_the_host_in_their_own_words(runtime, access_world):
    at = now()
    asked, _ = await visits.request_visit(
        runtime.cipher, SETTINGS, draft(access_world, at), id_number(), "张伟", "13800000001", at
    )
    walk_in = await visits.register_walk_in(
        GUARD, runtime.cipher, SETTINGS, draft(access_world, at), id_number(2), access_world.host_id, None, at
    )
    assert await _state_word(asked["id"]) == "访客预约"
    assert await _state_word(walk_in["id"]) == "门岗待确认"
