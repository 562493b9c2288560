"""Going out is never held up: at an exit a pass is checked for its signature, that it names this
gate and that it exists; a stale, expired, revoked or used-up pass, a visit no longer on and a
blacklisted visitor all still leave, each exit booked in the access log and clearing presence.
The mini-program keeps showing the QR to a visitor still inside after the window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.access.models import (
    AccessEvent,
    Block,
    BlockKind,
    Direction,
    Gate,
    GateKind,
    PassKind,
    Presence,
    Visit,
    VisitPass,
    VisitState,
)
from backend.access.service import gatecheck, passes, presence
from backend.core.errors import AppError
from backend.core.timeutil import now
from tests.fixtures.access_p import SETTINGS, pass_of, ready_visit, token_of

_numbers = iter(range(1, 10_000))


async def _scan(runtime, gate, token, at=None):
    event_no = f"EX-{next(_numbers):06d}"
    return await gatecheck.scan(runtime.settings.data_key, SETTINGS, gate.id, token, event_no, at or now())


async def _inside(runtime, world, **visit_args) -> tuple[Visit, VisitPass, str]:
    visit = await ready_visit(runtime, world, **visit_args)
    visit_pass = await pass_of(visit)
    token = await token_of(runtime, visit_pass)
    assert (await _scan(runtime, world.entry, token)).allowed
    return visit, visit_pass, token


async def _leaves(runtime, world, visit: Visit, token: str, at=None) -> None:
    decision = await _scan(runtime, world.exit, token, at)
    assert (decision.allowed, decision.reason, decision.message) == (True, "", "再见，请通行")
    assert not await Presence.filter(subject_key=presence.visit_key(visit.id)).exists()
    event = await AccessEvent.filter(gate_id=world.exit.id).order_by("-id").first()
    assert (event.allowed, event.visit_id, event.direction) == (True, visit.id, Direction.OUT)


async def test_an_overstaying_visitor_leaves_with_a_stale_and_expired_token(access_world, runtime):
    visit = await ready_visit(runtime, access_world, start=now() - timedelta(hours=3), hours=2)
    came = now() - timedelta(hours=1, minutes=5)  # the window ended an hour ago
    token = await token_of(runtime, await pass_of(visit), came)
    assert (await _scan(runtime, access_world.entry, token, came)).allowed
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.pass_stale"
    await _leaves(runtime, access_world, visit, token)
    assert (await Visit.get(id=visit.id)).state == VisitState.LEFT


async def test_a_revoked_pass_and_a_blacklisted_visitor_still_leave(access_world, runtime):
    visit, _, token = await _inside(runtime, access_world)
    await passes.revoke_all(None, visit.id, now())
    await Block.create(
        kind=BlockKind.ID_NUMBER, value_index=visit.id_number_index, value_masked="1101**", reason="测试"
    )
    assert (await _scan(runtime, access_world.entry, token)).reason == "access.pass_revoked"
    await _leaves(runtime, access_world, visit, token)


async def test_a_used_up_slip_of_a_visit_signed_out_at_the_day_end_still_leaves(access_world, runtime):
    visit = await ready_visit(runtime, access_world)
    slip = await pass_of(visit, PassKind.SLIP, 1)
    token = await token_of(runtime, slip)
    assert (await _scan(runtime, access_world.entry, token)).allowed
    await Visit.filter(id=visit.id).update(state=VisitState.NOT_SIGNED_OUT)
    await presence.sign_out_visit(None, visit.id, now())
    await Gate.filter(id=access_world.exit.id).update(anti_passback=True)
    await _leaves(runtime, access_world, visit, token)


async def test_an_exit_still_refuses_a_foreign_a_tampered_a_wrong_gate_or_an_unknown_pass(access_world, runtime):
    visit, visit_pass, token = await _inside(runtime, access_world)
    assert (await _scan(runtime, access_world.exit, "not-a-pass")).reason == "access.pass_foreign"
    bad = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    assert (await _scan(runtime, access_world.exit, bad)).reason == "access.pass_tampered"
    other_exit = await Gate.create(
        code="G-B-OUT",
        name="B座出",
        kind=GateKind.PEDESTRIAN,
        direction=Direction.OUT,
        building_id=access_world.other_building_id,
    )
    assert (await _scan(runtime, other_exit, token)).reason == "access.pass_wrong_gate"
    await VisitPass.filter(id=visit_pass.id).delete()
    assert (await _scan(runtime, access_world.exit, token)).reason == "access.pass_revoked"
    assert await Presence.filter(subject_key=presence.visit_key(visit.id)).exists()


async def test_the_qr_is_still_shown_to_a_visitor_inside_after_the_window_and_only_to_them(access_world, runtime):
    visit = await ready_visit(runtime, access_world, start=now() - timedelta(hours=3), hours=2)
    await pass_of(visit)
    with pytest.raises(AppError) as refused:
        await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, now())
    assert refused.value.code == "access.visit_state"
    await Visit.filter(id=visit.id).update(state=VisitState.INSIDE)
    shown = await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, now())
    assert (await _scan(runtime, access_world.entry, shown["token"])).reason == "access.pass_expired"
    await _leaves(runtime, access_world, visit, shown["token"])
    # Out and the window over: no QR any more; a revoked pass is not shown either.
    with pytest.raises(AppError):
        await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, now())
    await Visit.filter(id=visit.id).update(state=VisitState.INSIDE)
    await passes.revoke_all(None, visit.id, now())
    with pytest.raises(AppError):
        await passes.current_token(runtime.settings.data_key, SETTINGS, visit.id, now())
