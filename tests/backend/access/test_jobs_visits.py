"""The jobs of visits, each run twice with the effect of once: no-shows marked, visitors still
inside at the day end signed out (presence empty), overstays told to the host once, and visits
past the retention purged of personal data with the name kept masked."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.access.config import AccessSettings
from backend.access.models import Presence, SubjectKind, Visit, VisitPass, VisitState
from backend.access.service import presence, visits
from backend.core.timeutil import BUSINESS_TZ, now
from backend.notices.models import Notice
from tests.fixtures.access_v import ready_visit

SETTINGS = AccessSettings()


async def _inside(world, visit_id: int, entered: datetime) -> None:
    await Visit.filter(id=visit_id).update(state=VisitState.INSIDE, entered_at=entered)
    await presence.enter(
        None,
        building_id=world.building_id,
        subject=SubjectKind.VISITOR,
        key=f"visit:{visit_id}",
        gate_id=world.entry.id,
        at=entered,
        visit_id=visit_id,
        people=2,
    )


async def test_a_visit_nobody_came_to_becomes_a_no_show_once(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    later = at + timedelta(hours=6)
    assert await visits.mark_no_shows(at) == 0
    assert await visits.mark_no_shows(later) == 1
    assert await visits.mark_no_shows(later) == 0
    assert (await Visit.get(id=visit["id"])).state == VisitState.NO_SHOW


async def test_visitors_inside_at_the_day_end_are_signed_out_once_and_leave_presence(runtime, access_world):
    morning = datetime(2026, 12, 7, 9, 0, tzinfo=BUSINESS_TZ)
    visit, _ = await ready_visit(runtime, access_world, morning)
    await _inside(access_world, visit["id"], morning + timedelta(hours=2))
    evening = morning.replace(hour=21, minute=59)
    night = morning.replace(hour=22, minute=5)

    assert await visits.sign_out_day_end(SETTINGS, evening) == 0
    assert await visits.sign_out_day_end(SETTINGS, night) == 1
    assert await visits.sign_out_day_end(SETTINGS, night) == 0

    signed_out = await Visit.get(id=visit["id"])
    assert (signed_out.state, signed_out.left_at) == (VisitState.NOT_SIGNED_OUT, night)
    assert await Presence.filter(building_id=access_world.building_id).count() == 0


async def test_an_overstay_is_told_to_the_host_once(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    await _inside(access_world, visit["id"], at + timedelta(hours=1))
    told_before = await Notice.filter(template="access.visit").count()
    past_window = at + timedelta(hours=6)

    assert await visits.alert_overstays(at + timedelta(hours=2)) == 0
    assert await visits.alert_overstays(past_window) == 1
    assert await visits.alert_overstays(past_window + timedelta(minutes=5)) == 0

    assert await Notice.filter(template="access.visit").count() == told_before + 1
    assert (await Visit.get(id=visit["id"])).overstay_alerted_at == past_window


async def test_purge_clears_personal_data_once_and_keeps_the_masked_name(runtime, access_world):
    at = now()
    visit, token = await ready_visit(runtime, access_world, at, plate="浙A12345")
    await visits.revoke(access_world.host_id, visit["id"], "", at)
    before_retention = at + timedelta(days=SETTINGS.retention_days - 1)
    after_retention = at + timedelta(days=SETTINGS.retention_days + 1)

    assert await visits.purge_expired(SETTINGS, before_retention) == 0
    assert await visits.purge_expired(SETTINGS, after_retention) == 1
    assert await visits.purge_expired(SETTINGS, after_retention) == 0

    purged = await Visit.get(id=visit["id"])
    assert purged.visitor_name == "李*" and purged.companions == ["王*"] and purged.plate_masked == "浙A***45"
    assert purged.phone_encrypted is None and purged.id_number_encrypted is None and purged.plate_encrypted is None
    assert purged.phone_index is None and purged.id_number_index is None and purged.plate_index is None
    assert purged.visitor_token_hash is None and purged.purged_at == after_retention
    assert not await VisitPass.filter(visit_id=visit["id"]).exists()
