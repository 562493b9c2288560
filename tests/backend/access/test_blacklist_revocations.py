"""Blocking a visitor revokes the passes of every visit of theirs not over, whether they have
been in or not: one they left while its window is open is REVOKED, one inside stays INSIDE until
they go out, one not signed out keeps its state; only the passes go."""

from __future__ import annotations

from datetime import timedelta

from backend.access.models import BlockKind, Visit, VisitPass, VisitState
from backend.access.service import blacklist
from backend.core.audit import Actor
from backend.core.timeutil import now
from tests.fixtures.access_v import id_number, ready_visit

OFFICE = Actor(None, "保卫科")


async def test_blocking_revokes_the_passes_of_visits_the_visitor_has_been_in_on(runtime, access_world):
    at = now() - timedelta(hours=2)
    states = (VisitState.LEFT, VisitState.INSIDE, VisitState.NOT_SIGNED_OUT)
    ids = []
    for state in states:
        visit, _ = await ready_visit(runtime, access_world, at)
        await Visit.filter(id=visit["id"]).update(state=state, entered_at=at + timedelta(hours=1))
        ids.append(visit["id"])

    added = await blacklist.add(OFFICE, runtime.cipher, BlockKind.ID_NUMBER, id_number(), "冒用身份")

    assert added["revoked_visits"] == 3
    after = {v.id: v.state for v in await Visit.filter(id__in=ids)}
    assert after == {ids[0]: VisitState.REVOKED, ids[1]: VisitState.INSIDE, ids[2]: VisitState.NOT_SIGNED_OUT}
    assert not await VisitPass.filter(visit_id__in=ids, revoked_at=None).exists()
