"""Who is inside: parties counted with their companions per building, listed masked with the gate
they came by, and a visit signed out leaves no row behind."""

from __future__ import annotations

from backend.access.models import SubjectKind
from backend.access.service import gatecheck, presence
from backend.core.timeutil import now
from tests.fixtures.access_p import SETTINGS, pass_of, ready_visit, token_of


async def test_people_inside_counts_parties_and_staff_per_building(access_world, runtime):
    visit = await ready_visit(runtime, access_world, companions=("王五", "赵六"))
    token = await token_of(runtime, await pass_of(visit))
    await gatecheck.scan(runtime.settings.data_key, SETTINGS, access_world.entry.id, token, "EV-P-0001", now())
    await gatecheck.card(access_world.entry.id, access_world.host_card, "EV-P-0002", now())
    assert await presence.people_inside() == {access_world.building_id: 4}
    rows = await presence.rows(access_world.building_id)
    assert [(r["subject"], r["people"], r["gate"]) for r in rows] == [
        ("visitor", 3, "A座东门进"),
        ("staff", 1, "A座东门进"),
    ]
    assert rows[0]["subject_label"] == SubjectKind.VISITOR.label and rows[0]["visit_id"] == visit.id
    assert await presence.rows(access_world.other_building_id) == []

    assert await presence.sign_out_visit(None, visit.id, now()) == 1
    assert await presence.people_inside() == {access_world.building_id: 1}
    assert not await presence.is_inside(None, access_world.building_id, presence.visit_key(visit.id))
    assert await presence.leave(None, access_world.building_id, presence.person_key(access_world.host_id))
    assert not await presence.leave(None, access_world.building_id, presence.person_key(access_world.host_id))
    assert await presence.people_inside() == {}
