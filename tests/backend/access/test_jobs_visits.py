"""The jobs of visits, each run twice with the effect of once: no-shows marked, visitors still
inside since before the day end (their latest entry, not the visit's first) signed out with their
passes revoked, every presence row older than the day end cleared (staff and cars too), overstays
told to the host once, and visits past the retention purged of personal data with the name kept
masked, old plate alerts deleted and old events' plate indexes cleared."""

from __future__ import annotations

from datetime import datetime, timedelta

from backend.access.config import AccessSettings
from backend.access.models import (
    AccessEvent,
    Direction,
    EventSource,
    PlateAlert,
    PlateAlertState,
    Presence,
    SubjectKind,
    Visit,
    VisitPass,
    VisitState,
)
from backend.access.service import passes, presence, visits
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


async def _live_passes(visit_id: int) -> int:
    return await VisitPass.filter(visit_id=visit_id, revoked_at=None).count()


async def test_a_no_show_loses_its_passes(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    assert await _live_passes(visit["id"]) == 1

    assert await visits.mark_no_shows(at + timedelta(hours=6)) == 1

    assert await _live_passes(visit["id"]) == 0


async def test_a_multi_day_visitor_back_the_next_morning_is_signed_out_only_after_that_day_end(runtime, access_world):
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=BUSINESS_TZ)
    visit, _ = await ready_visit(runtime, access_world, monday, window_end=monday + timedelta(days=3))
    tuesday = monday + timedelta(days=1)
    # In on Monday (the visit's first entry), out on Monday, back in on Tuesday at 9:00.
    await _inside(access_world, visit["id"], tuesday)
    await Visit.filter(id=visit["id"]).update(entered_at=monday + timedelta(hours=1))

    assert await visits.sign_out_day_end(SETTINGS, tuesday + timedelta(minutes=5)) == 0
    assert (await Visit.get(id=visit["id"])).state == VisitState.INSIDE
    assert await _live_passes(visit["id"]) == 1

    tuesday_night = tuesday.replace(hour=22, minute=5)
    assert await visits.sign_out_day_end(SETTINGS, tuesday_night) == 1
    assert (await Visit.get(id=visit["id"])).state == VisitState.NOT_SIGNED_OUT
    # Its pass, still within the window, is revoked: the terminals learn it at their next sync.
    visit_pass = await VisitPass.get(visit_id=visit["id"])
    assert visit_pass.revoked_at == tuesday_night
    assert visit_pass.id in (await passes.sync_for_gate(access_world.entry.id, tuesday_night))["revoked"]


async def test_the_day_end_clears_every_presence_row_entered_before_it(runtime, access_world):
    morning = datetime(2026, 12, 7, 9, 0, tzinfo=BUSINESS_TZ)
    night = morning.replace(hour=22, minute=5)
    no_show, _ = await ready_visit(runtime, access_world, morning)
    # An offline entry booked after the visit became a no-show: the visit is not inside.
    await Visit.filter(id=no_show["id"]).update(state=VisitState.NO_SHOW)
    await presence.enter(
        None,
        building_id=access_world.building_id,
        subject=SubjectKind.VISITOR,
        key=presence.visit_key(no_show["id"]),
        gate_id=access_world.entry.id,
        at=morning + timedelta(hours=2),
        visit_id=no_show["id"],
    )
    for key, subject, entered in (
        (presence.person_key(access_world.host_id), SubjectKind.STAFF, morning),
        (presence.plate_key("plate-index"), SubjectKind.STAFF_CAR, morning + timedelta(hours=1)),
        (presence.person_key(access_world.host_id + 1), SubjectKind.STAFF, night - timedelta(minutes=1)),
    ):
        await presence.enter(
            None,
            building_id=access_world.building_id,
            subject=subject,
            key=key,
            gate_id=access_world.entry.id,
            at=entered,
        )

    assert await visits.sign_out_day_end(SETTINGS, night) == 0
    assert await visits.sign_out_day_end(SETTINGS, night) == 0

    left = await Presence.all().values_list("subject_key", flat=True)
    assert left == [presence.person_key(access_world.host_id + 1)]  # came in after the day end
    assert (await Visit.get(id=no_show["id"])).state == VisitState.NO_SHOW


async def test_purge_deletes_old_plate_alerts_and_old_event_plate_indexes(runtime, access_world):
    at = now()
    old, recent = at - timedelta(days=SETTINGS.retention_days + 1), at - timedelta(days=1)
    for seen in (old, recent):
        await PlateAlert.create(
            gate_id=access_world.car_gate.id,
            plate_encrypted="sealed",
            plate_index=f"index-{seen.date()}",
            plate_masked="浙A***45",
            reason="access.plate_unknown",
            state=PlateAlertState.WAITING,
            seen_at=seen,
        )
        await AccessEvent.create(
            event_no=f"E-{seen.date()}",
            gate_id=access_world.car_gate.id,
            at=seen,
            direction=Direction.IN,
            subject=SubjectKind.UNKNOWN_PLATE,
            allowed=False,
            reason="access.plate_unknown",
            source=EventSource.CAMERA,
            plate_index=f"index-{seen.date()}",
            plate_masked="浙A***45",
        )

    assert await visits.purge_expired(SETTINGS, at) == 0

    assert await PlateAlert.all().values_list("seen_at", flat=True) == [recent]
    events = {e.at: e for e in await AccessEvent.all()}
    assert (events[old].plate_index, events[old].plate_masked) == (None, "浙A***45")
    assert (events[recent].plate_index, events[recent].plate_masked) == (f"index-{recent.date()}", "浙A***45")
