"""Gates at once on PostgreSQL: one single-entry slip scanned at two entry gates at the same moment
lets one person in, and the same event number sent twice at once is booked once."""

from __future__ import annotations

import asyncio

from backend.access.models import AccessEvent, Direction, Gate, GateKind, PassKind, VisitPass
from backend.access.service import gatecheck
from backend.core.timeutil import now
from tests.fixtures.access_p import SETTINGS, pass_of, ready_visit, token_of


async def test_one_slip_scanned_at_two_gates_at_once_lets_one_in(access_world, runtime, requires_postgres):
    second = await Gate.create(
        code="G-A-IN2",
        name="A座西门进",
        kind=GateKind.PEDESTRIAN,
        direction=Direction.IN,
        building_id=access_world.building_id,
    )
    visit_pass = await pass_of(await ready_visit(runtime, access_world), PassKind.SLIP, 1)
    token = await token_of(runtime, visit_pass)
    gates = [access_world.entry.id, second.id] * 5
    decisions = await asyncio.gather(
        *(
            gatecheck.scan(runtime.settings.data_key, SETTINGS, gate_id, token, f"EV-RACE-{i:03d}", now())
            for i, gate_id in enumerate(gates)
        )
    )
    assert sorted(d.reason for d in decisions) == [""] + ["access.pass_used_up"] * 9
    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 1
    assert await AccessEvent.filter(allowed=True).count() == 1


async def test_one_event_number_sent_twice_at_once_is_booked_once(access_world, runtime, requires_postgres):
    visit_pass = await pass_of(await ready_visit(runtime, access_world))
    token = await token_of(runtime, visit_pass)
    decisions = await asyncio.gather(
        *(
            gatecheck.scan(runtime.settings.data_key, SETTINGS, access_world.entry.id, token, "EV-SAME-001", now())
            for _ in range(4)
        )
    )
    assert all(d.allowed for d in decisions)
    assert await AccessEvent.filter(event_no="EV-SAME-001").count() == 1
    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 1
