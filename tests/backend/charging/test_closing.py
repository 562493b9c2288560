"""Sessions whose pile never reports the stop: staff 结束并结算 one at its last good reading (billed
once through the pile's own stop path, an incident and an audit entry kept, a late stop from the
pile changing nothing), from the console page and the API; and the job that records a stale
session once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from taskiq.schedule_sources import LabelScheduleSource

from backend.charging.models import Bill, Incident, IncidentKind, MeterValue, PayerKind, Session, SessionState
from backend.charging.service import closing, sessions
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.jobs import broker
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.helpers import admin_token, bearer, console_admin
from tests.helpers.charging_events import ref

STAFF = Actor(admin_id=None, name="运维")


async def _stuck(w, *, minutes_ago: int = 300, silent_minutes: int = 240) -> Session:
    """A wallet session started `minutes_ago` whose samples stopped `silent_minutes` ago, its last
    good reading 3000 Wh (a later sample ran backwards to 2500)."""
    started = now() - timedelta(minutes=minutes_ago)
    session = await Session.create(
        pile_id=w.pile.id,
        connector_id=1,
        id_tag=w.card_uid,
        payer_kind=PayerKind.WALLET,
        person_id=w.cadre_id,
        tariff_id=w.tariff.id,
        meter_start_wh=1000,
        meter_last_wh=3000,
        started_at=started,
        received_at=started,
    )
    last = now() - timedelta(minutes=silent_minutes)
    for at, wh in ((last - timedelta(minutes=20), 2000), (last - timedelta(minutes=10), 3000), (last, 2500)):
        await MeterValue.create(session=session, at=at, energy_wh=wh, received_at=at)
    return session


async def _code(awaitable) -> str:
    with pytest.raises(AppError) as raised:
        await awaitable
    return raised.value.code


async def test_staff_end_a_stuck_session_at_its_last_good_reading_and_it_is_billed_once(charging_world, runtime):
    w = charging_world
    session = await _stuck(w)
    await Incident.create(kind=IncidentKind.STALE_SESSION, pile_id=w.pile.id, session_id=session.id, at=now())
    assert await _code(closing.close_session(STAFF, runtime.redis, session.id, "  ", now())) == (
        "charging.close_reason_invalid"
    )

    closed = await closing.close_session(STAFF, runtime.redis, session.id, "充电桩已更换", now())

    ended = await Session.get(id=session.id)
    assert (ended.state, ended.meter_stop_wh, ended.stop_reason) == (SessionState.STOPPED, 3000, "staff")
    assert closed["meter_stop_wh"] == 3000 and ended.stopped_at == closed["stopped_at"]
    bill = await Bill.get(session_id=session.id)
    assert bill.energy_wh == 2000 and bill.paid_fen == bill.amount_fen > 0
    incident = await Incident.get(session_id=session.id, kind=IncidentKind.CLOSED_BY_STAFF)
    assert incident.detail["reason"] == "充电桩已更换" and incident.detail["used_wh"] == 3000
    stale = await Incident.get(session_id=session.id, kind=IncidentKind.STALE_SESSION)
    assert stale.resolved_at is not None and "充电桩已更换" in stale.resolution_note
    entry = await AuditEntry.get(action="charging.close_session")
    assert entry.object_id == str(session.id) and entry.after["reason"] == "充电桩已更换"

    # The pile comes back and reports its own stop, higher: nothing changes, billed once.
    await sessions.stop_transaction(runtime.redis, ref(w.pile), session.id, 9000, now(), "PowerLoss", None, [], now())
    assert (await Session.get(id=session.id)).meter_stop_wh == 3000
    assert await Bill.filter(session_id=session.id).count() == 1
    assert await _code(closing.close_session(STAFF, runtime.redis, session.id, "再结一次", now())) == (
        "charging.session_not_active"
    )


async def test_a_session_its_pile_stopped_first_is_not_closed_by_staff(charging_world, runtime):
    w = charging_world
    session = await _stuck(w)
    await sessions.stop_transaction(runtime.redis, ref(w.pile), session.id, 3100, now(), "Local", None, [], now())
    assert await _code(closing.close_session(STAFF, runtime.redis, session.id, "换桩", now())) == (
        "charging.session_not_active"
    )
    assert await _code(closing.close_session(STAFF, runtime.redis, 999_999, "换桩", now())) == (
        "charging.session_not_found"
    )
    assert not await Incident.filter(kind=IncidentKind.CLOSED_BY_STAFF).exists()


async def test_a_session_silent_for_hours_is_recorded_stale_once(app, charging_world):
    w = charging_world
    quiet = await _stuck(w, minutes_ago=600, silent_minutes=closing.STALE_HOURS * 60 + 5)
    talking = await _stuck(w, minutes_ago=600, silent_minutes=30)
    fresh = await Session.create(
        pile_id=w.pile.id,
        connector_id=2,
        id_tag="NEW",
        payer_kind=PayerKind.NOBODY,
        tariff_id=w.tariff.id,
        meter_start_wh=0,
        meter_last_wh=0,
        started_at=now() - timedelta(minutes=5),
        received_at=now() - timedelta(minutes=5),
    )

    assert await closing.record_stale(now()) == 1
    assert await closing.record_stale(now()) == 0

    stale = await Incident.filter(kind=IncidentKind.STALE_SESSION).values_list("session_id", flat=True)
    assert stale == [quiet.id] and talking.id != fresh.id
    source = LabelScheduleSource(broker)
    await source.startup()
    crons = {s.task_name: s.cron for s in await source.get_schedules()}
    assert crons["charging.record_stale_sessions"] == "*/10 * * * *"


async def test_the_session_page_offers_close_to_staff_who_manage_piles_and_the_api_too(client, charging_world):
    w = charging_world
    session = await _stuck(w)
    other = await _stuck(w)
    csrf = await console_admin(client, "staff", ["charging.view_charging", "charging.manage_piles"])
    shown = (await client.get(f"/console/charging/sessions/{session.id}")).text
    assert 'data-testid="close-session"' in shown and "data-confirm=" in shown

    refused = await client.post(f"/console/charging/sessions/{session.id}/close", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "请填写结束原因" in refused.text
    done = await client.post(
        f"/console/charging/sessions/{session.id}/close", data={"csrf_token": csrf, "reason": "桩已更换"}
    )
    assert done.headers["location"].endswith(f"/sessions/{session.id}?done=closed")
    after = (await client.get(f"/console/charging/sessions/{session.id}?done=closed")).text
    assert "已结束并结算" in after and 'data-testid="close-session"' not in after

    viewer = await admin_token(client, "viewer", ["charging.view_charging"])
    path = f"/admin/v1/charging/sessions/{other.id}/close"
    assert (await client.post(path, json={"reason": "换桩"}, headers=bearer(viewer))).status_code == 403
    token = await admin_token(client, "ops", ["charging.view_charging", "charging.manage_piles"])
    answer = await client.post(path, json={"reason": "换桩"}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["meter_stop_wh"] == 3000
    again = await client.post(path, json={"reason": "换桩"}, headers=bearer(token))
    assert again.status_code == 409 and again.json()["error"]["code"] == "charging.session_not_active"
