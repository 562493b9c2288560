"""Revoking a visit the visitor has been in on: after they left (window still open) the visit is
REVOKED with its passes; while they are inside the passes are revoked (the gates learn it at
their next sync) and the visit stays INSIDE, with the reason, until they go out; once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.access.models import Visit, VisitPass, VisitState
from backend.access.service import passes, visits
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.fixtures.access_v import ready_visit

OFFICE = Actor(None, "保卫科")


async def _refused(call) -> str:
    with pytest.raises(AppError) as refused:
        await call
    return refused.value.code


async def _in_state(visit_id: int, state: VisitState, at) -> None:
    await Visit.filter(id=visit_id).update(state=state, entered_at=at, left_at=at if state == VisitState.LEFT else None)


async def test_the_host_revokes_a_visit_after_the_visitor_left(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    await _in_state(visit["id"], VisitState.LEFT, at + timedelta(hours=2))
    later = at + timedelta(hours=3)

    revoked = await visits.revoke(access_world.host_id, visit["id"], "不必再来", later)

    assert (revoked["state"], revoked["revoked_reason"]) == ("revoked", "不必再来")
    visit_pass = await VisitPass.get(visit_id=visit["id"])
    assert visit_pass.revoked_at == later
    assert visit_pass.id in (await passes.sync_for_gate(access_world.entry.id, later))["revoked"]


async def test_a_visit_that_left_after_its_window_is_over_cannot_be_revoked(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    await _in_state(visit["id"], VisitState.LEFT, at + timedelta(hours=2))

    late = visits.revoke(access_world.host_id, visit["id"], "", at + timedelta(hours=6))

    assert await _refused(late) == "access.visit_state"
    assert (await Visit.get(id=visit["id"])).state == VisitState.LEFT


async def test_staff_revoke_a_visitor_inside_who_stays_inside_without_a_pass(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    await _in_state(visit["id"], VisitState.INSIDE, at + timedelta(hours=2))
    later = at + timedelta(hours=3)

    revoked = await visits.revoke(OFFICE, visit["id"], "行为不当", later)

    assert (revoked["state"], revoked["revoked_reason"]) == ("inside", "行为不当")
    stored = await Visit.get(id=visit["id"])
    assert (stored.state, stored.revoked_at) == (VisitState.INSIDE, later)
    assert not await VisitPass.filter(visit_id=visit["id"], revoked_at=None).exists()
    entry = await AuditEntry.get(action="access.revoke_visit", object_id=str(visit["id"]))
    assert entry.before == {"state": "inside"} and entry.after["state"] == "inside"
    again = visits.revoke(access_world.host_id, visit["id"], "", later)
    assert await _refused(again) == "access.visit_state"
